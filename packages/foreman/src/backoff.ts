/**
 * Exponential backoff with full jitter: a pause uniform in [0, min(max, base·2^round)].
 * Spreads the reconnects of many foremen after a server restart instead of a thundering herd.
 */
export function backoffDelayMs(
  round: number,
  options: { baseMs: number; maxMs: number; random?: () => number },
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, round));
  return (options.random ?? Math.random)() * ceiling;
}
