import { HangError, isAnswer, type Outcome } from './lfs-client.js';

/** One request of a load run: what it was, what came of it. */
export interface Sample {
  kind: string;
  /** The status, `error: …` for a transport failure, or `hang` when no answer came within its time limit. */
  result: number | string;
  retryAfter?: string;
  /** The error code of an answer that is not a success (the `code` of its JSON body), or its first bytes. */
  code?: string;
  /** The phase (the name `mark()` was last called with) when the request started, and when its answer came. */
  phase: string;
  endPhase: string;
}

function codeOf(body: string): string {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === 'string' ? code : body.slice(0, 80);
  } catch {
    return body.slice(0, 80);
  }
}

export function resultOf(outcome: Outcome): Pick<Sample, 'result' | 'retryAfter' | 'code'> {
  if (!isAnswer(outcome)) {
    return { result: `error: ${outcome.error}` };
  }
  const retryAfter = outcome.headers['retry-after'];
  return {
    result: outcome.status,
    ...(retryAfter === undefined ? {} : { retryAfter: String(retryAfter) }),
    ...(outcome.status >= 300 ? { code: codeOf(outcome.body) } : {}),
  };
}

/**
 * `concurrency` loops, each sending one request after another (`next` picks the kind and sends it) until stop().
 * Phases label the samples, so a test can say which answers it accepts before, during and after a fault.
 */
export class Load {
  readonly samples: Sample[] = [];
  private phase = 'before';
  private stopped = false;
  private readonly loops: Promise<void>[];

  private readonly lifetime: NodeJS.Timeout;

  constructor(
    concurrency: number,
    next: (loop: number, iteration: number) => { kind: string; send: () => Promise<Outcome> },
    /** A failed test must not leave loops hammering dead ports: the load stops by itself after this. */
    maxMs = 10 * 60_000,
  ) {
    this.lifetime = setTimeout(() => {
      this.stopped = true;
    }, maxMs);
    this.loops = Array.from({ length: concurrency }, async (_, loop) => {
      for (let iteration = 0; !this.stopped; iteration += 1) {
        const { kind, send } = next(loop, iteration);
        const phase = this.phase;
        let result: Pick<Sample, 'result' | 'retryAfter' | 'code'>;
        try {
          result = resultOf(await send());
        } catch (error) {
          result = { result: error instanceof HangError ? 'hang' : `error: ${String(error)}` };
        }
        this.samples.push({ kind, phase, endPhase: this.phase, ...result });
      }
    });
  }

  mark(phase: string): void {
    this.phase = phase;
  }

  /** Samples that started and ended in `phase`. */
  within(phase: string): Sample[] {
    return this.samples.filter((sample) => sample.phase === phase && sample.endPhase === phase);
  }

  /** Samples that started or ended in one of `phases` (or ran across them). */
  touching(...phases: string[]): Sample[] {
    return this.samples.filter((sample) => phases.includes(sample.phase) || phases.includes(sample.endPhase));
  }

  /** Resolves once `count` more requests have been answered (by any loop). */
  async more(count: number, timeoutMs = 120_000): Promise<void> {
    const target = this.samples.length + count;
    await this.until(() => this.samples.length >= target, `${count} more answers`, timeoutMs);
  }

  /** Resolves once `check` holds for the samples so far (polled every 20 ms). */
  async until(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) {
        throw new Error(
          `load: ${what} not seen within ${timeoutMs} ms; last samples ${JSON.stringify(this.samples.slice(-20))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Ends the run (mark 'stopped'): every loop finishes its request in flight. */
  async stop(): Promise<Sample[]> {
    this.stopped = true;
    clearTimeout(this.lifetime);
    this.mark('stopped');
    await Promise.all(this.loops);
    return this.samples;
  }
}

/** Runs `work` with `load` running, and stops the load however `work` ends. */
export async function withLoad<T>(load: Load, work: (load: Load) => Promise<T>): Promise<T> {
  try {
    return await work(load);
  } finally {
    await load.stop();
  }
}

/** How often each (kind, result) pair occurred: a readable summary for assertions and failure messages. */
export function tally(samples: Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { kind, result, retryAfter, code } of samples) {
    const key = [kind, result, code, retryAfter === undefined ? '' : 'with Retry-After']
      .filter(Boolean)
      .join(' ');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** The samples whose result is not among `allowed`, tallied (an empty object when all are allowed). */
export function unexpected(samples: Sample[], allowed: (sample: Sample) => boolean): Record<string, number> {
  return tally(samples.filter((sample) => !allowed(sample)));
}
