import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';

/** The parts of an OpenAPI 3 document the checker reads. */
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Record<string, unknown>> };
}

interface OpenApiOperation {
  responses?: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Schemas whose objects may carry fields beyond those listed (error bodies carry the existing lock, retry hints…). */
const OPEN_SCHEMAS = new Set(['ErrorBodySchema']);

/** Every object schema closed (no field the document does not name), unless listed in OPEN_SCHEMAS. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map(closed);
  }
  if (typeof schema !== 'object' || schema === null) {
    return schema;
  }
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closed(value)]));
  if (copy.type === 'object' && copy.properties !== undefined && copy.additionalProperties === undefined) {
    copy.additionalProperties = false;
  }
  return copy;
}

/**
 * Validates real answers against the API's own OpenAPI document: the status must be documented for that operation,
 * and the body must match its schema, every documented field present (unless optional) and no other.
 */
export class OpenApiChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  /** `METHOD /template` → statuses answered. */
  readonly seen = new Map<string, Set<number>>();

  constructor(readonly document: OpenApiDocument) {
    const schemas = Object.fromEntries(
      Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => [
        name,
        OPEN_SCHEMAS.has(name) ? schema : closed(schema),
      ]),
    );
    // ISO 8601 as toISOString() writes it (ajv-formats is not a dependency for this one format).
    this.ajv.addFormat('date-time', (value: string) =>
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value),
    );
    this.ajv.addSchema({ $id: 'openapi', components: { schemas } });
  }

  /** Every operation of the document under `prefix`, as `METHOD /template`. */
  operations(prefix: string): string[] {
    return Object.entries(this.document.paths)
      .filter(([template]) => template.startsWith(prefix))
      .flatMap(([template, item]) =>
        Object.keys(item)
          .filter((method) => HTTP_METHODS.includes(method))
          .map((method) => `${method.toUpperCase()} ${template}`),
      );
  }

  /** The problems of one answer (empty when it matches the document), and notes it as seen. */
  check(method: string, template: string, status: number, body: unknown): string[] {
    const operationKey = `${method.toUpperCase()} ${template}`;
    const statuses = this.seen.get(operationKey) ?? new Set<number>();
    statuses.add(status);
    this.seen.set(operationKey, statuses);
    const operation = this.document.paths[template]?.[method.toLowerCase()];
    if (!operation) {
      return [`${operationKey} is not in the OpenAPI document`];
    }
    const response = operation.responses?.[String(status)];
    if (!response) {
      return [`${operationKey} answered ${status}, which its OpenAPI responses do not list`];
    }
    const schema = response.content?.['application/json']?.schema;
    if (!schema) {
      return body === undefined ? [] : [`${operationKey} ${status} documents no body but one came`];
    }
    const key = `${operationKey} ${status}`;
    let validate = this.validators.get(key);
    if (!validate) {
      const rooted = JSON.parse(
        JSON.stringify(closed(schema)).replaceAll('"#/components/', '"openapi#/components/'),
      ) as Record<string, unknown>;
      validate = this.ajv.compile(rooted);
      this.validators.set(key, validate);
    }
    return validate(body)
      ? []
      : (validate.errors ?? []).map(
          (error) =>
            `${key}: ${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
        );
  }
}
