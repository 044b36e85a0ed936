/** A teardown step slower than this is named on stderr, with what keeps the process alive. */
const SLOW_STEP_MS = 30_000;

/**
 * Runs the steps of a teardown in order; one still running after SLOW_STEP_MS is named on stderr (again every
 * SLOW_STEP_MS) with the process's active resources, so a teardown that hangs in CI says where.
 */
export async function teardown(what: string, steps: [name: string, run: () => unknown][]): Promise<void> {
  for (const [name, run] of steps) {
    const started = Date.now();
    const watch = setInterval(() => {
      const resources = process.getActiveResourcesInfo().join(', ');
      process.stderr.write(
        `${what}: "${name}" still running after ${Date.now() - started} ms; active: ${resources}\n`,
      );
    }, SLOW_STEP_MS);
    watch.unref();
    try {
      await run();
    } finally {
      clearInterval(watch);
    }
  }
}
