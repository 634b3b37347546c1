import { EXIT_OK, EXIT_USAGE, exitCodeOfSignal } from '@kolejka/cli-kit/exit-codes';
import { isKolejkaError } from '@kolejka/spec';
import { isServerError } from '../http/server-error.js';

/**
 * Exit codes of `kolejka-client` (also in --help and the README): the shared ones (0, 2,
 * 130) and the client's own, which tell a script what went wrong (kolejka-judge reads 1).
 */
export const EXIT = {
  ok: EXIT_OK,
  /** execute: the task ran but its command failed (non-zero exit, a limit hit). */
  taskFailed: 1,
  usage: EXIT_USAGE,
  /** The server refused the request (4xx other than 404). */
  refused: 3,
  notFound: 4,
  timeout: 5,
  unreachable: 6,
  /** The server could not run the task: it ended failed or cancelled, without a result. */
  notRun: 7,
  /** Anything else: a local file problem, an internal server error, a bug. */
  error: 8,
  /** Interrupted (SIGINT/SIGTERM). */
  interrupted: exitCodeOfSignal('SIGINT'),
} as const;

export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  done (execute: the task ran and its command exited 0)',
  '  1  execute: the task ran but its command failed (non-zero exit or a limit)',
  '  2  usage: bad arguments, or a local task dir, file or config that cannot be used',
  '  3  the server refused the request (HTTP 4xx other than 404)',
  '  4  not found (task, result, blob or local path)',
  '  5  timeout',
  '  6  the server is unreachable (every URL, after retries)',
  '  7  the task could not be run: it ended failed or cancelled, without a result',
  '  8  any other error (internal server error, local I/O, a bug)',
  '130  interrupted',
].join('\n');

/** The exit code of an error a command ended with. */
export function exitCodeOf(error: unknown): number {
  if (!isKolejkaError(error)) return EXIT.error;
  switch (error.code) {
    case 'KOLEJKA_NOT_FOUND':
      return EXIT.notFound;
    case 'KOLEJKA_TIMEOUT':
      return EXIT.timeout;
    case 'KOLEJKA_UNAVAILABLE':
      return EXIT.unreachable;
    case 'KOLEJKA_CANCELLED':
      return isServerError(error) ? EXIT.unreachable : EXIT.interrupted;
    case 'KOLEJKA_VALIDATION':
      // Our own checks of local input are usage errors; the server's are refusals.
      return isServerError(error) ? EXIT.refused : EXIT.usage;
    case 'KOLEJKA_UNAUTHORIZED':
    case 'KOLEJKA_FORBIDDEN':
    case 'KOLEJKA_CONFLICT':
    case 'KOLEJKA_TOO_LARGE':
      return isServerError(error) ? EXIT.refused : EXIT.usage;
    case 'KOLEJKA_DOCKER':
    case 'KOLEJKA_INTERNAL':
      return EXIT.error;
  }
}
