import {
  KolejkaError,
  isKolejkaError,
  isTerminalTaskState,
  type Logger,
  type TaskState,
} from '@kolejka/spec';
import { backoffDelayMs } from '@kolejka/cli-kit/backoff';
import { abortError, sleep, withDeadline } from '../http/abort.js';
import { formatDuration } from '../http/duration.js';
import type { AuthProvider, Transport } from '../http/transport.js';
import { emit, type ProgressListener } from '../progress.js';
import { checkRemoteTask, checkTaskKey } from '../resources.js';
import { webSocketUrl } from '../server-urls.js';
import {
  EventsUnavailableError,
  openEventsSocket,
  type WebSocketFactory,
} from './events-socket.js';
import { followTask } from './follow-task.js';

/** How waiting for a task ended. */
export interface TaskOutcome {
  key: string;
  /** `finished` (a result is stored), `failed` or `cancelled`. */
  state: TaskState;
  attempt: number;
  /** Why it failed or was cancelled. */
  reason?: string;
  /** Whether the end was pushed by the events channel or found by polling. */
  via: 'events' | 'polling';
}

export interface WaitContext {
  transport: Transport;
  auth: AuthProvider;
  logger: Logger;
  webSocket: WebSocketFactory;
  requestTimeoutMs: number;
  pingIntervalMs: number;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up (KOLEJKA_TIMEOUT) after this long. Default: wait as long as it takes. */
  timeoutMs?: number;
  /** Polling period when the events channel is unavailable. */
  pollIntervalMs: number;
  onProgress?: ProgressListener;
}

/** Reconnections of a dropped events socket before the client falls back to polling. */
const MAX_RECONNECTS = 5;

/**
 * Waits until a task ends. Listens on the events channel (`/api/v1/events`, a WebSocket,
 * reconnecting and failing over between servers); only when no server offers it does the
 * client poll the task, and it says so in the log.
 */
export async function waitForTask(
  ctx: WaitContext,
  key: string,
  options: WaitOptions,
): Promise<TaskOutcome> {
  checkTaskKey(key);
  const deadline = withDeadline(options.signal, options.timeoutMs, `Waiting for task ${key}`);
  let lastState: TaskState | undefined;
  const report: Report = (change) => {
    if (change.state === lastState) return;
    lastState = change.state;
    emit(options.onProgress, {
      type: 'state',
      key,
      state: change.state,
      attempt: change.attempt,
      at: change.at,
      via: change.via,
      ...(change.reason === undefined ? {} : { reason: change.reason }),
    });
  };
  try {
    const pushed = await viaEvents(ctx, key, deadline.signal, report);
    if (pushed.kind === 'outcome') return pushed.outcome;
    ctx.logger.warn('events channel unavailable; polling for the result', {
      task: key,
      why: pushed.why,
      intervalMs: options.pollIntervalMs,
    });
    return await viaPolling(ctx, key, deadline.signal, options.pollIntervalMs, report);
  } catch (error) {
    const reason: unknown = deadline.signal.reason;
    if (deadline.signal.aborted && isKolejkaError(reason, 'KOLEJKA_TIMEOUT')) {
      throw new KolejkaError(
        'KOLEJKA_TIMEOUT',
        `Task ${key} did not end within ${formatDuration(options.timeoutMs ?? 0)}${lastState === undefined ? '' : ` (it is ${lastState})`}`,
        {
          // The deadline's own reason says the same thing less well: not a cause worth a sentence.
          ...(error === reason ? {} : { cause: error }),
          details: { key, state: lastState, timeoutMs: options.timeoutMs },
        },
      );
    }
    throw error;
  } finally {
    deadline.dispose();
  }
}

type Pushed = { kind: 'outcome'; outcome: TaskOutcome } | { kind: 'unavailable'; why: string };
interface Change {
  state: TaskState;
  attempt: number;
  at: string;
  via: 'events' | 'polling';
  reason?: string;
}
type Report = (change: Change) => void;

async function viaEvents(
  ctx: WaitContext,
  key: string,
  signal: AbortSignal,
  report: Report,
): Promise<Pushed> {
  let failures = 0;
  let why = 'no server to ask';
  for (;;) {
    let hasOpened = false;
    for (const server of ctx.transport.serversInOrder()) {
      const url = webSocketUrl(server, '/api/v1/events');
      const authorization = await ctx.auth.authorization(signal);
      let socket;
      try {
        socket = await openEventsSocket(ctx.webSocket, url, {
          headers: authorization === undefined ? {} : { authorization },
          handshakeTimeoutMs: ctx.requestTimeoutMs,
          signal,
        });
      } catch (error) {
        if (!(error instanceof EventsUnavailableError)) throw error;
        why = `${url}: ${error.message}`;
        ctx.logger.debug('events channel not available', { url, why: error.message });
        continue;
      }
      hasOpened = true;
      ctx.transport.markPreferred(server);
      ctx.logger.debug('following task on the events channel', { task: key, url });
      const end = await followTask(socket, key, {
        signal,
        logger: ctx.logger,
        pingIntervalMs: ctx.pingIntervalMs,
        onUpdate: (update) =>
          report({
            state: update.state,
            attempt: update.attempt,
            at: update.at,
            via: 'events',
            ...(update.reason === undefined ? {} : { reason: update.reason }),
          }),
      });
      if (end.kind === 'terminal') {
        const { update } = end;
        return {
          kind: 'outcome',
          outcome: {
            key,
            state: update.state,
            attempt: update.attempt,
            via: 'events',
            ...(update.reason === undefined ? {} : { reason: update.reason }),
          },
        };
      }
      why = `${url}: ${end.why}`;
      ctx.logger.info('events channel dropped; reconnecting', { url, why: end.why });
      break;
    }
    // A server without the channel never gets it by retrying; a dropped one may come back.
    if (!hasOpened) return { kind: 'unavailable', why };
    failures += 1;
    if (failures > MAX_RECONNECTS) return { kind: 'unavailable', why };
    await sleep(backoffDelayMs({ baseMs: 200, maxMs: 5000 }, failures - 1), signal);
  }
}

async function viaPolling(
  ctx: WaitContext,
  key: string,
  signal: AbortSignal,
  intervalMs: number,
  report: Report,
): Promise<TaskOutcome> {
  for (;;) {
    if (signal.aborted) throw abortError(signal);
    const task = checkRemoteTask(
      await ctx.transport.json({
        method: 'GET',
        path: `/api/v1/tasks/${key}`,
        isIdempotent: true,
        signal,
      }),
    );
    report({
      state: task.state,
      attempt: task.attempt,
      at: task.updatedAt,
      via: 'polling',
      ...(task.reason === undefined ? {} : { reason: task.reason }),
    });
    if (isTerminalTaskState(task.state)) {
      return {
        key,
        state: task.state,
        attempt: task.attempt,
        via: 'polling',
        ...(task.reason === undefined ? {} : { reason: task.reason }),
      };
    }
    await sleep(intervalMs, signal);
  }
}
