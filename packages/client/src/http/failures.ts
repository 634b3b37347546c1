import { KolejkaError } from '@kolejka/spec';
import { formatDuration } from './duration.js';

/** Why one try of a request at one server failed. */
export type Failure = { server: string; url: string; message: string } & (
  | { kind: 'unreachable' }
  | { kind: 'ambiguous' }
  | { kind: 'timeout' }
  | { kind: 'status'; error: KolejkaError }
);

/**
 * The error a request ends with when every try failed: the server's own error when every
 * server answered with one (503s), KOLEJKA_TIMEOUT when none answered in time, else
 * KOLEJKA_UNAVAILABLE naming every URL and its last failure.
 */
export function giveUp(
  what: string,
  isIdempotent: boolean,
  failures: readonly Failure[],
  context: { servers: readonly string[]; requestTimeoutMs: number },
): KolejkaError {
  const last = failures[failures.length - 1];
  if (last?.kind === 'status' && failures.every((failure) => failure.kind === 'status')) {
    return last.error;
  }
  const tried = context.servers
    .map((server) => {
      const latest = failures.filter((failure) => failure.server === server).pop();
      return latest === undefined ? server : `${server} (${latest.message})`;
    })
    .join(', ');
  const rounds = Math.max(1, Math.ceil(failures.length / context.servers.length));
  const details = {
    urls: [...new Set(failures.map((failure) => failure.url))],
    failures: failures.map(({ url, kind, message }) => ({ url, kind, message })),
  };
  if (failures.every((failure) => failure.kind === 'timeout')) {
    return new KolejkaError(
      'KOLEJKA_TIMEOUT',
      `The Kolejka server did not answer ${what} in time (${formatDuration(context.requestTimeoutMs)} per try); tried ${tried}`,
      { details },
    );
  }
  const isAmbiguous = failures.some((failure) => failure.kind !== 'unreachable');
  return new KolejkaError(
    'KOLEJKA_UNAVAILABLE',
    isAmbiguous && !isIdempotent
      ? `The connection failed during ${what}, which is not safe to repeat blindly (it may have been done); tried ${tried}`
      : `Cannot reach the Kolejka server for ${what} after ${rounds} ${rounds === 1 ? 'try' : 'tries'}; tried ${tried}`,
    { details },
  );
}
