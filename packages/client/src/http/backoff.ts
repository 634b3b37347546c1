import { KolejkaError } from '@kolejka/spec';

/** Retry pauses: exponential with full jitter, so many clients retrying do not stampede. */
export interface BackoffPolicy {
  /** Pause before the first retry round (before jitter). */
  baseMs: number;
  /** Longest pause. */
  maxMs: number;
}

/** The pause before retry round `round` (0-based): uniform in [0, min(max, base·2^round)]. */
export function backoffDelayMs(
  policy: BackoffPolicy,
  round: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** round);
  return Math.round(ceiling * random());
}

/** The error an aborted operation ends with: the signal's own KolejkaError, or CANCELLED. */
export function abortError(signal: AbortSignal): KolejkaError {
  const reason: unknown = signal.reason;
  if (reason instanceof KolejkaError) return reason;
  // AbortController.abort() without a reason gives a DOMException that says nothing more.
  const isPlain = reason instanceof Error && reason.name === 'AbortError';
  return new KolejkaError('KOLEJKA_CANCELLED', 'Cancelled', isPlain ? {} : { cause: reason });
}

/** Waits `ms`, or rejects with `abortError` when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A signal that fires when `signal` does or when `timeoutMs` passes (then with a
 * KOLEJKA_TIMEOUT reason saying `what` took too long). `dispose` clears the timer.
 */
export function withDeadline(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  what: string,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined || !Number.isFinite(timeoutMs)
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new KolejkaError(
                'KOLEJKA_TIMEOUT',
                `${what} did not finish within ${formatDuration(timeoutMs)}`,
                { details: { timeoutMs } },
              ),
            ),
          timeoutMs,
        );
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** `1.5 s`, `250 ms`, `2 min 5 s`: for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}
