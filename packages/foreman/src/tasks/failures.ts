import { isServerError } from '@kolejka/client';
import { isKolejkaError } from '@kolejka/spec';

/** What to tell the server when a task could not be run. */
export type RunFailure =
  /** Not started and not the task's fault: back to the queue (another foreman, or later). */
  | { kind: 'reject'; reason: string }
  /** The task cannot run (invalid, its image cannot be had) or broke after it started. */
  | { kind: 'fail'; reason: string };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Decides between `task:rejected` and `task:failed`. A task whose image cannot be had, or
 * that is invalid, fails with the reason (DESIGN: "could not be run: bad image") instead
 * of bouncing between foremen; a failure of this machine (Docker down, the server
 * unreachable for the inputs) before the container started sends the task back.
 */
export function classifyRunError(error: unknown, isStarted: boolean): RunFailure {
  const reason = messageOf(error);
  if (isKolejkaError(error, 'KOLEJKA_VALIDATION')) return { kind: 'fail', reason };
  if (isServerError(error) && error.status === 404) return { kind: 'fail', reason };
  if (
    isKolejkaError(error, 'KOLEJKA_DOCKER') &&
    /\bimage\b.*(could not be pulled|not available|missing|budget)/i.test(reason)
  )
    return { kind: 'fail', reason };
  // Docker refusing the task's own limits (`memory: 1b`) refuses them on every node.
  if (
    isKolejkaError(error, 'KOLEJKA_DOCKER') &&
    /cannot create the container.*(minimum memory limit|invalid argument|range of cpus)/i.test(
      reason,
    )
  )
    return { kind: 'fail', reason };
  return isStarted ? { kind: 'fail', reason } : { kind: 'reject', reason };
}

/** What to do with a result upload that failed. */
export type UploadFailure =
  /** Keep it spooled and try again later (the server is unreachable or busy). */
  | { kind: 'retry'; reason: string }
  /** The server will never take it for this attempt (stale attempt, task deleted): drop it. */
  | { kind: 'drop'; reason: string }
  /** The result itself is refused (invalid): drop it and report the task failed. */
  | { kind: 'fail'; reason: string };

export function classifyUploadError(error: unknown): UploadFailure {
  const reason = messageOf(error);
  if (isServerError(error)) {
    if (error.status === 409 || error.status === 404 || error.status === 403)
      return { kind: 'drop', reason };
    if (error.status === 400 || error.status === 413) return { kind: 'fail', reason };
    return { kind: 'retry', reason };
  }
  if (isKolejkaError(error, 'KOLEJKA_VALIDATION') || isKolejkaError(error, 'KOLEJKA_NOT_FOUND'))
    return { kind: 'fail', reason };
  return { kind: 'retry', reason };
}
