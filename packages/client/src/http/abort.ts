import { KolejkaError } from '@kolejka/spec';
import { formatDuration } from './duration.js';

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
