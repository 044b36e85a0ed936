import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake server saw it; `url` is the raw request target, before any decoding. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  /** The body parsed as JSON, or undefined when there was none. */
  readonly body: unknown;
}

/** What the fake answers to one method and raw URL. */
export interface CannedResponse {
  readonly status: number;
  /** Sent as JSON unless `raw` is given. */
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Never answer, to exercise the client's timeout. */
  readonly hang?: boolean;
}

/**
 * A stand-in for the admin API on 127.0.0.1 and a free port: it records every request and answers from a table
 * of canned responses keyed by `METHOD raw-url`. Anything not in the table gets a 404 naming what was asked, so a
 * misrouted call shows up in the CLI's stderr.
 */
export class FakeAdminServer {
  readonly requests: RecordedRequest[] = [];
  private readonly canned = new Map<string, CannedResponse>();

  private constructor(
    private readonly server: Server,
    /** Base URL to hand to the CLI, e.g. http://127.0.0.1:41234. */
    readonly url: string,
  ) {}

  /** Starts listening on an ephemeral loopback port. */
  static async start(): Promise<FakeAdminServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeAdminServer(server, `http://127.0.0.1:${port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void fake.handle(req, res);
    });
    return fake;
  }

  /** Answers `method url` with `response` from now on (until reset). */
  reply(method: string, url: string, response: CannedResponse): this {
    this.canned.set(`${method} ${url}`, response);
    return this;
  }

  /** Forgets recorded requests and canned responses, so that each test sets up its own. */
  reset(): void {
    this.requests.length = 0;
    this.canned.clear();
  }

  /** Stops listening and drops open connections (a hanging request would otherwise keep it alive). */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve, reject) =>
      this.server.close((err) => (err ? reject(err) : resolve())),
    );
    this.server.closeAllConnections();
    return closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? '';
    const url = req.url ?? '';
    this.requests.push({
      method,
      url,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    });
    const canned = this.canned.get(`${method} ${url}`) ?? {
      status: 404,
      body: { message: `fake admin server has no answer for ${method} ${url}`, request_id: 'fake' },
    };
    if (canned.hang === true) {
      return;
    }
    const payload = canned.raw ?? (canned.body === undefined ? '' : JSON.stringify(canned.body));
    res.writeHead(canned.status, {
      ...(canned.raw === undefined && canned.body !== undefined
        ? { 'content-type': 'application/json' }
        : {}),
      ...canned.headers,
    });
    res.end(payload);
  }
}

/** A loopback URL on which nothing listens: a port the OS handed out and that was closed again. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
