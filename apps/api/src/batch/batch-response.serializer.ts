import type { BatchAction, BatchObjectResult, BatchResponse } from '@lfs-depot/contracts';

/**
 * What JSON.stringify would escape, plus anything beyond ASCII; strings without any of it are written between quotes
 * as they are, which is exactly what JSON.stringify writes for them.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const NEEDS_ESCAPING = /["\\\u0000-\u001f\u007f-\uffff]/;
const BEYOND_ASCII = /[\u0080-\uffff]/;

/** Whether `value` goes into JSON as it is and is plain ASCII: what a caller checks before it vouches for a string. */
export function isJsonSafeAscii(value: string): boolean {
  return !NEEDS_ESCAPING.test(value);
}

/**
 * What the caller of serializeBatchResponse vouches for, having built those strings only from parts it checked with
 * isJsonSafeAscii (or that are safe by construction: validated oids, base64url credentials): the oid of every object
 * without an error, and every action's href and header values. Those are written without the escaping check, which
 * was the largest single cost of serializing a download answer (bench/README.md).
 */
export type VouchedStrings = 'none' | 'actions';

/** The batch answer as JSON text, and whether it is all ASCII (then its UTF-8 length is its length). */
export interface BatchResponseJson {
  json: string;
  ascii: boolean;
}

/**
 * The batch answer as JSON text, byte for byte what JSON.stringify makes of it, for less: a batch answer is mostly
 * hrefs, oids and credentials, and V8's generic walk over its nested objects (escaping every string character by
 * character) was a large share of the API's CPU per batch. This walk knows the shape, checks each string with one
 * regular expression, and writes the entries that action headers repeat from one object to the next only once.
 *
 * The pieces (about 13 per object) are joined once at the end: concatenating them as they come builds a rope that
 * has to be flattened before it can be written, which is slower. And it tells whether the text is plain ASCII, as it
 * almost always is: such text is sent as Latin-1, a plain copy, instead of being measured and encoded as UTF-8. The
 * measurements behind each choice are in bench/README.md.
 */
export function serializeBatchResponse(
  response: BatchResponse,
  vouched: VouchedStrings = 'none',
): BatchResponseJson {
  const out = new JsonWriter(vouched === 'actions');
  out.string('{"transfer":"', response.transfer, '","objects":[');
  const { objects } = response;
  for (let i = 0; i < objects.length; i += 1) {
    writeObject(objects[i], i === 0 ? '{"oid":"' : ',{"oid":"', out);
  }
  out.string('],"hash_algo":"', response.hash_algo, '"}');
  return { json: out.parts.join(''), ascii: out.ascii };
}

/**
 * Collects the pieces of the text, as few as it can: a string that needs no escaping goes between constant pieces
 * that carry its quotes. Remembers whether anything went beyond ASCII.
 */
class JsonWriter {
  readonly parts: string[] = [];
  ascii = true;
  /** The header written last, entry by entry: names, values, and the text of an entry once it has repeated. */
  private readonly lastNames: string[] = [];
  private readonly lastValues: string[] = [];
  private readonly lastEntries: (string | undefined)[] = [];
  /** `"name":"` for each header name seen first in a header, and `,"name":"` for those seen after another. */
  private readonly firstOpenings = new Map<string, string>();
  private readonly laterOpenings = new Map<string, string>();

  /** See VouchedStrings: whether oids, hrefs and header values are written unchecked. */
  constructor(readonly vouched: boolean) {}

  /** Writes `open`, `value` and `close`, `value` unchecked when the caller vouched for it. */
  vouchedString(open: string, value: string, close: string): void {
    if (this.vouched) {
      this.parts.push(open, value, close);
    } else {
      this.string(open, value, close);
    }
  }

  /** Writes `open`, the string `value`, `close`: `open` ends with the opening quote and `close` starts with the other. */
  string(open: string, value: string, close: string): void {
    if (!NEEDS_ESCAPING.test(value)) {
      this.parts.push(open, value, close);
    } else {
      this.parts.push(open.slice(0, -1), this.checked(JSON.stringify(value)), close.slice(1));
    }
  }

  /**
   * Writes the entries of an action's header object and its closing brace (the caller wrote its opening). Every
   * action of a batch carries the same credential, and each download action adds its own grant to it: an entry equal
   * to the one at the same place in the previous header is written from the text made the first time it repeated, so
   * the credential is checked for escaping once per answer, and only the grant is written anew.
   */
  header(header: Record<string, string>): void {
    const { parts, lastNames, lastValues, lastEntries } = this;
    let i = 0;
    for (const name in header) {
      const value = header[name];
      if (lastNames[i] === name && lastValues[i] === value) {
        let entry = lastEntries[i];
        if (entry === undefined) {
          entry = this.entryText(i === 0, name, value);
          lastEntries[i] = entry;
        }
        parts.push(entry);
      } else {
        this.vouchedString(this.opening(i === 0, name), value, '"');
        lastNames[i] = name;
        lastValues[i] = value;
        lastEntries[i] = undefined;
      }
      i += 1;
    }
    lastNames.length = i;
    parts.push('}');
  }

  private entryText(first: boolean, name: string, value: string): string {
    const text =
      this.vouched || !NEEDS_ESCAPING.test(value) ? `"${value}"` : this.checked(JSON.stringify(value));
    return this.opening(first, name).slice(0, -1) + text;
  }

  /** `"name":"` (with a leading comma unless first), the name escaped as JSON.stringify would. */
  opening(first: boolean, name: string): string {
    const known = first ? this.firstOpenings : this.laterOpenings;
    let opening = known.get(name);
    if (opening === undefined) {
      const quoted = NEEDS_ESCAPING.test(name) ? this.checked(JSON.stringify(name)) : `"${name}"`;
      opening = `${first ? '' : ','}${quoted}:"`;
      known.set(name, opening);
    }
    return opening;
  }

  private checked(json: string): string {
    if (this.ascii && BEYOND_ASCII.test(json)) {
      this.ascii = false;
    }
    return json;
  }
}

/** The opening of the actions git-lfs knows, up to the href's opening quote. */
const ACTION_OPENINGS = new Map<string, string>([
  ['download', '"download":{"href":"'],
  ['upload', '"upload":{"href":"'],
  ['verify', '"verify":{"href":"'],
]);

function writeObject(object: BatchObjectResult, open: string, out: JsonWriter): void {
  const { parts } = out;
  if (out.vouched) {
    const text = vouchedObjectText(object, open, out);
    if (text !== undefined) {
      parts.push(text);
      return;
    }
  }
  if (object.error === undefined) {
    out.vouchedString(open, object.oid, '","size":');
  } else {
    out.string(open, object.oid, '","size":');
  }
  parts.push(jsonNumber(object.size));
  if (object.authenticated === true) {
    parts.push(',"authenticated":true');
  } else if (object.authenticated !== undefined) {
    parts.push(',"authenticated":', JSON.stringify(object.authenticated));
  }
  if (object.actions !== undefined) {
    parts.push(',"actions":{');
    let first = true;
    for (const name of Object.keys(object.actions) as (keyof typeof object.actions)[]) {
      const action = object.actions[name];
      if (action !== undefined) {
        if (!first) {
          parts.push(',');
        }
        writeAction(name, action, out);
        first = false;
      }
    }
    parts.push('}');
  }
  if (object.error !== undefined) {
    parts.push(',"error":{"code":', jsonNumber(object.error.code));
    out.string(',"message":"', object.error.message, '"}');
  }
  parts.push('}');
}

/**
 * The text of an object whose strings are vouched for, in the shape nearly every object of an answer has (no error,
 * authenticated, actions git-lfs knows with an expiry in seconds), as one piece made of template literals; undefined
 * for any other shape, which the general walk writes. One piece per object is cheaper to make and to join than the
 * twenty or so the walk pushes (bench/README.md).
 */
function vouchedObjectText(object: BatchObjectResult, open: string, out: JsonWriter): string | undefined {
  const { actions } = object;
  if (object.error !== undefined || object.authenticated !== true || actions === undefined) {
    return undefined;
  }
  let text = '';
  for (const name of Object.keys(actions) as (keyof typeof actions)[]) {
    const action = actions[name];
    if (action === undefined) {
      continue;
    }
    const opening = ACTION_OPENINGS.get(name);
    if (opening === undefined || action.expires_in === undefined || action.expires_at !== undefined) {
      return undefined;
    }
    let header = '';
    if (action.header !== undefined) {
      let first = true;
      for (const entry in action.header) {
        header += `${out.opening(first, entry)}${action.header[entry]}"`;
        first = false;
      }
      header = `,"header":{${header}}`;
    }
    text += `${text === '' ? '' : ','}${opening}${action.href}"${header},"expires_in":${jsonNumber(action.expires_in)}}`;
  }
  return `${open}${object.oid}","size":${jsonNumber(object.size)},"authenticated":true,"actions":{${text}}}`;
}

function writeAction(name: string, action: BatchAction, out: JsonWriter): void {
  const { parts } = out;
  // The header's opening rides on the piece that closes the href: fewer pieces to join.
  const afterHref = action.header !== undefined ? '","header":{' : '"';
  const opening = ACTION_OPENINGS.get(name);
  if (opening !== undefined) {
    out.vouchedString(opening, action.href, afterHref);
  } else {
    out.string('"', name, '":');
    out.vouchedString('{"href":"', action.href, afterHref);
  }
  if (action.header !== undefined) {
    out.header(action.header);
  }
  if (action.expires_in !== undefined) {
    parts.push(',"expires_in":', jsonNumber(action.expires_in));
  }
  if (action.expires_at !== undefined) {
    out.string(',"expires_at":"', action.expires_at, '"');
  }
  parts.push('}');
}

/** JSON.stringify of a number (null unless finite), in a fraction of the time. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
