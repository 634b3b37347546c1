import {
  FOREMAN_PROTOCOL_VERSIONS,
  RESULTS_IN_FINISHED_PROTOCOL,
  RESULT_ACK_PROTOCOL,
  dumpLimits,
  type KolejkaError,
  type Logger,
} from '@kolejka/spec';
import type { ResolvedForemanOptions } from '../options.js';
import type { Assignments, WorkState } from '../tasks/assignments.js';
import type { LocalTask } from '../tasks/local-task.js';
import { ServerConnection } from './server-connection.js';

/**
 * The protocol versions this foreman implements (1: results over HTTP; 2: also in
 * task:finished; 3: stored results acknowledged with result:stored).
 */
const SPOKEN_PROTOCOLS: number[] = FOREMAN_PROTOCOL_VERSIONS.filter(
  (version) =>
    version === 1 || version === RESULTS_IN_FINISHED_PROTOCOL || version === RESULT_ACK_PROTOCOL,
);

export interface ForemanChannelPorts {
  options: ResolvedForemanOptions;
  token: string;
  logger: Logger;
  tasks: ReadonlyMap<string, LocalTask>;
  state: WorkState;
  assignments: Assignments;
  /** Limits this host cannot enforce (`storage` without xfs pquota), said in the hello. */
  unenforcedLimits: readonly string[];
  /** The server refused this foreman for good. */
  fail: (error: KolejkaError) => void;
}

/** The foreman's WebSocket to the server: its hello and heartbeats, and what it does with answers. */
export function openForemanChannel(ports: ForemanChannelPorts): ServerConnection {
  const { options, logger, tasks, state, assignments } = ports;
  const running = (): { key: string; attempt: number }[] =>
    [...tasks.values()].map(({ key, attempt }) => ({ key, attempt }));
  const connection = new ServerConnection({
    urls: options.servers,
    token: ports.token,
    logger,
    handlers: {
      hello: () => ({
        type: 'foreman:hello',
        protocols: SPOKEN_PROTOCOLS,
        foremanId: options.id,
        version: options.version,
        tags: options.tags,
        capacity: dumpLimits(options.capacity),
        running: running(),
        ...(ports.unenforcedLimits.length > 0
          ? { unenforcedLimits: [...ports.unenforcedLimits] }
          : {}),
        ...(state.isDraining ? { draining: true } : {}),
      }),
      heartbeat: () => ({ type: 'foreman:heartbeat', running: running() }),
      welcome: (welcome, url) => assignments.onWelcome(welcome, url),
      message: (message) => assignments.onMessage(message),
      disconnected: (info) => {
        // 1000: this foreman's own reconnect (the drain's new hello).
        if (info.code === 1000) logger.info('disconnected from the server', info);
        else logger.warn('disconnected from the server', info);
      },
      fatal: (error) => {
        logger.error('the server refused this foreman', { error: error.message });
        ports.fail(error);
      },
    },
  });
  connection.start();
  return connection;
}
