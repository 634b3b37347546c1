/** Exit codes every Kolejka command shares; a command may add its own between 3 and 125. */
export const EXIT_OK = 0;
/** An error, with a message on standard error. */
export const EXIT_FAILURE = 1;
/** A usage error: bad arguments or options. */
export const EXIT_USAGE = 2;

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The shell's code for a process ended by `signal`: 128 + its number (SIGINT 130, SIGTERM 143). */
export function exitCodeOfSignal(signal: NodeJS.Signals): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 0);
}
