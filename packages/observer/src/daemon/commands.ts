import { dumpStats, KolejkaError } from '@kolejka/spec';
import type { SessionManager } from './session-manager.js';

/** The commands of the original protocol (§5.2); "" is the root command. */
export const OBSERVER_COMMANDS = [
  '',
  'open',
  'attach',
  'detach',
  'limits',
  'stats',
  'freeze',
  'thaw',
  'kill',
  'close',
] as const;
export type ObserverCommand = (typeof OBSERVER_COMMANDS)[number];

export function isObserverCommand(command: string): command is ObserverCommand {
  return (OBSERVER_COMMANDS as readonly string[]).includes(command);
}

/** The caller's pid (SO_PEERCRED), asked for only by commands that need it. */
export type CallerPid = () => number;

const OK = { status: 'ok' } as const;

/** Runs one command; the reply is the JSON object to send with 200. Errors are KolejkaErrors. */
export async function runObserverCommand(
  sessions: SessionManager,
  command: string,
  params: Record<string, unknown>,
  callerPid: CallerPid,
): Promise<Record<string, unknown>> {
  if (!isObserverCommand(command)) {
    throw new KolejkaError(
      'KOLEJKA_NOT_FOUND',
      `unknown command ${JSON.stringify(command)}; the observer knows ${OBSERVER_COMMANDS.filter((name) => name !== '').join(', ')}`,
    );
  }
  const { session_id: id, secret } = params;
  switch (command) {
    case '':
      return { sessions: sessions.openCount, ...OK };
    case 'open': {
      const session = await sessions.open(callerPid());
      return { session_id: session.id, secret: session.secret, ...OK };
    }
    case 'attach': {
      if (id === undefined) {
        const session = await sessions.openAttached(callerPid());
        return { session_id: session.id, secret: session.secret, ...OK };
      }
      await sessions.attach(callerPid(), id, secret);
      return { ...OK };
    }
    case 'detach':
      await sessions.detach(callerPid(), id, secret);
      return { ...OK };
    case 'limits':
      await sessions.setLimits(id, secret, params.limits);
      return { ...OK };
    case 'stats': {
      const stats = dumpStats(await sessions.stats(id));
      // Kolejka's addition: which maxima are sampled because the kernel keeps no peak.
      const sampled = sessions.sampledStats(id);
      return { ...stats, ...(sampled.length > 0 ? { sampled } : {}), ...OK };
    }
    case 'freeze':
      await sessions.freeze(id, secret);
      return { ...OK };
    case 'thaw':
      await sessions.thaw(id, secret);
      return { ...OK };
    case 'kill':
      await sessions.kill(id, secret);
      return { ...OK };
    case 'close':
      await sessions.close(id, secret);
      return { ...OK };
  }
}
