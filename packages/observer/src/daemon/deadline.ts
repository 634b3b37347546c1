import type { Session } from './session.js';

/**
 * Sets (or, without `timeSeconds`, clears) a session's deadline: creation + time. A timer
 * per session, so a deadline is met within milliseconds instead of on a periodic tick.
 * `expire` gets the deadline it was armed for (a later `setDeadline` supersedes it).
 */
export function setDeadline(
  session: Session,
  timeSeconds: number | undefined,
  now: () => number,
  expire: (deadlineAtMs: number) => void,
): void {
  if (session.deadlineTimer !== undefined) clearTimeout(session.deadlineTimer);
  session.deadlineTimer = undefined;
  session.deadlineAtMs = undefined;
  if (timeSeconds === undefined) return;
  session.deadlineAtMs = session.createdAtMs + timeSeconds * 1000;
  arm(session, now, expire);
}

function arm(session: Session, now: () => number, expire: (deadlineAtMs: number) => void): void {
  const deadline = session.deadlineAtMs;
  if (deadline === undefined) return;
  session.deadlineTimer = setTimeout(
    () => {
      session.deadlineTimer = undefined;
      if (session.deadlineAtMs !== deadline) return;
      // Timers have millisecond granularity and may fire a hair early: re-arm if so.
      if (now() < deadline - 1) {
        arm(session, now, expire);
        return;
      }
      expire(deadline);
    },
    Math.max(0, deadline - now()),
  );
  // The daemon's socket keeps the process alive; a library user's process may exit.
  session.deadlineTimer.unref();
}
