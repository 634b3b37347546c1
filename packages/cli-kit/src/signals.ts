/** The signals that ask a Kolejka program to stop. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const satisfies readonly NodeJS.Signals[];

/** The part of `process` this module uses (a seam for tests). */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/**
 * Calls `handler` with each SIGTERM/SIGINT and how many have arrived so far (1, 2, …), and
 * returns a function that stops listening. The Kolejka convention: the first signal drains
 * (no new work, running work finishes), the second stops at once, later ones exit.
 */
export function onStopSignals(
  handler: (signal: NodeJS.Signals, count: number) => void,
  source: SignalSource = process,
): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals): void => {
    count += 1;
    handler(signal, count);
  };
  for (const signal of STOP_SIGNALS) source.on(signal, listener);
  return () => {
    for (const signal of STOP_SIGNALS) source.off(signal, listener);
  };
}

/** An AbortSignal that the first SIGTERM/SIGINT aborts; a later one calls `onRepeat`. */
export function abortOnStopSignal(
  onRepeat: (signal: NodeJS.Signals, count: number) => void,
  source: SignalSource = process,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const dispose = onStopSignals((signal, count) => {
    if (count === 1) controller.abort(signal);
    else onRepeat(signal, count);
  }, source);
  return { signal: controller.signal, dispose };
}
