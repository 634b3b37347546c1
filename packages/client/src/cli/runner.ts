import type { Session } from './session.js';
import type { GlobalArgs } from './session.js';

/** Runs a command body in a session; its number is the exit code (default 0). */
export type Runner = (
  argv: GlobalArgs,
  body: (session: Session) => Promise<number | void>,
) => Promise<void>;
