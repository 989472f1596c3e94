// Shared test support: wait for observable state, never for a fixed time. Used by the in-host
// integration suites (test/integration, test/integration/restricted); the e2e JavaScript has the
// same helper in test/e2e/lib.js. There is deliberately no `sleep` here: a test that needs time to
// pass waits for the state that time would bring (a counter, a status, a file, a log line).

export interface UntilOptions {
  /** Give up after this many ms (default 15,000). */
  timeout?: number;
  /** Poll every this many ms (default 100). */
  interval?: number;
  /** What is awaited, for the timeout error: "timed out after 15s waiting for <what>". A function is called at the timeout (to report the state seen). */
  what?: string | (() => string);
}

/**
 * Polls `predicate` until it returns a truthy value and resolves with that value; rejects with
 * "timed out after Ns waiting for <what>" once `timeout` ms have passed. The predicate may be
 * async; it is called once more at the deadline, so a slow poll never loses the last chance.
 */
export async function until<T>(predicate: () => T | undefined | null | false | '' | 0 | Promise<T | undefined | null | false | '' | 0>, options: UntilOptions = {}): Promise<T> {
  const { timeout = 15000, interval = 100, what = 'a condition' } = options;
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() >= deadline) {
      const detail = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeout / 1000}s waiting for ${detail}`);
    }
    await new Promise(r => setTimeout(r, Math.max(0, Math.min(interval, deadline - Date.now()))));
  }
}
