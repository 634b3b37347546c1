/**
 * Retry pauses: exponential growth, capped, with full jitter — the pause before round `n`
 * (0-based) is uniform in [0, min(maxMs, baseMs·2^n)], then raised to `minMs`.
 *
 * Why full jitter: many clients and foremen fail at the same moment (a server restart);
 * spreading each pause over the whole window de-synchronises them best and, of the usual
 * variants, does the least total work (see AWS's "Exponential Backoff And Jitter"). Equal
 * jitter would guarantee half the window as a pause; `minMs` covers the one case where a
 * pause near zero matters (a retry loop that must not spin).
 */
export interface BackoffPolicy {
  /** Window of the first round (before jitter); doubles per round. */
  baseMs: number;
  /** Largest window. */
  maxMs: number;
  /** Shortest pause, whatever the jitter draws. Default 0. */
  minMs?: number;
}

/** A uniform draw in [0, 1): `Math.random` unless a test injects its own. */
export type RandomSource = () => number;

/** The pause in whole milliseconds before retry round `round` (0-based). */
export function backoffDelayMs(
  policy: BackoffPolicy,
  round: number,
  random: RandomSource = Math.random,
): number {
  const window = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, round));
  return Math.max(policy.minMs ?? 0, Math.round(window * random()));
}
