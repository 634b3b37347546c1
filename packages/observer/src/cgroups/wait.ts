import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelayMs } from '@kolejka/cli-kit/backoff';
import { KolejkaError } from '@kolejka/spec';

/** Polls start at 1 ms and back off to 20 ms: a freeze or a kill usually completes within a few. */
const POLL_BACKOFF = { baseMs: 1, maxMs: 20, minMs: 1 };

/**
 * Polls `condition` until it holds, with the shared backoff; past `timeoutMs` throws a
 * `KOLEJKA_TIMEOUT` error saying what did not happen.
 */
export async function waitUntil(
  condition: () => Promise<boolean>,
  options: { timeoutMs: number; what: string },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  for (let round = 0; ; round++) {
    if (await condition()) return;
    if (performance.now() >= deadline) {
      throw new KolejkaError(
        'KOLEJKA_TIMEOUT',
        `timed out after ${options.timeoutMs} ms waiting until ${options.what}`,
      );
    }
    await sleep(backoffDelayMs(POLL_BACKOFF, round));
  }
}
