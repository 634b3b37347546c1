import { setTimeout as sleep } from 'node:timers/promises';
import { KolejkaError } from '@kolejka/spec';

/**
 * Polls `condition` until it holds, starting at 1 ms and backing off to 20 ms (a freeze or
 * a kill usually completes within a few milliseconds); past `timeoutMs` throws a
 * `KOLEJKA_TIMEOUT` error saying what did not happen.
 */
export async function waitUntil(
  condition: () => Promise<boolean>,
  options: { timeoutMs: number; what: string },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  let delayMs = 1;
  for (;;) {
    if (await condition()) return;
    if (performance.now() >= deadline) {
      throw new KolejkaError(
        'KOLEJKA_TIMEOUT',
        `timed out after ${options.timeoutMs} ms waiting until ${options.what}`,
      );
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 20);
  }
}
