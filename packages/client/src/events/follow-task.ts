import type WebSocket from 'ws';
import {
  KolejkaError,
  isTerminalTaskState,
  parseEventsServerMessage,
  type EventsSubscribe,
  type Logger,
  type TaskUpdated,
} from '@kolejka/spec';
import { abortError } from '../http/abort.js';

/** How one subscription ended: the task reached a terminal state, or the socket went away. */
export type FollowEnd = { kind: 'terminal'; update: TaskUpdated } | { kind: 'closed'; why: string };

export interface FollowOptions {
  signal: AbortSignal;
  logger: Logger;
  onUpdate: (update: TaskUpdated) => void;
  /** Pings this often; a socket that does not answer before the next ping is dropped. */
  pingIntervalMs: number;
}

/**
 * Subscribes to one task on an open events socket and reports its updates until it
 * finishes, fails or is cancelled (the server tells a new subscriber the state of a task
 * that already ended, so nothing is missed between submitting and subscribing).
 */
export function followTask(
  socket: WebSocket,
  key: string,
  options: FollowOptions,
): Promise<FollowEnd> {
  return new Promise((resolve, reject) => {
    let isAlive = true;
    let isSubscribed = false;
    const pinger = setInterval(() => {
      if (!isAlive) {
        finish(() => resolve({ kind: 'closed', why: 'the server stopped answering pings' }));
        return;
      }
      isAlive = false;
      socket.ping();
    }, options.pingIntervalMs);
    pinger.unref();

    const finish = (settle: () => void): void => {
      clearInterval(pinger);
      options.signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      socket.removeAllListeners('close');
      socket.removeAllListeners('pong');
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      if (socket.readyState === socket.OPEN) socket.close(1000);
      else socket.terminate();
      settle();
    };
    const onAbort = (): void => finish(() => reject(abortError(options.signal)));
    options.signal.addEventListener('abort', onAbort, { once: true });

    socket.on('pong', () => {
      isAlive = true;
    });
    socket.on('error', (error) => {
      options.logger.debug('events socket error', { error: error.message });
    });
    socket.on('close', (code, reason) => {
      const text = reason.toString();
      finish(() =>
        resolve({ kind: 'closed', why: `closed by the server (${code}${text ? ` ${text}` : ''})` }),
      );
    });
    socket.on('message', (data: WebSocket.RawData) => {
      isAlive = true;
      let message;
      try {
        message = parseEventsServerMessage(
          Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer),
        );
      } catch (error) {
        options.logger.warn('events channel sent a message the client does not understand', {
          error: (error as Error).message,
        });
        return;
      }
      switch (message.type) {
        case 'events:subscribed':
          isSubscribed = true;
          if (message.refused.includes(key)) {
            finish(() =>
              reject(
                new KolejkaError(
                  'KOLEJKA_NOT_FOUND',
                  `Task ${key} does not exist or is not readable by this user`,
                  { details: { key } },
                ),
              ),
            );
          }
          return;
        case 'task:updated':
          if (message.key !== key) return;
          if (message.deleted === true) {
            finish(() =>
              reject(
                new KolejkaError(
                  'KOLEJKA_NOT_FOUND',
                  `Task ${key} was deleted (it was ${message.state})`,
                  {
                    details: { key, state: message.state },
                  },
                ),
              ),
            );
            return;
          }
          options.onUpdate(message);
          if (isTerminalTaskState(message.state)) {
            finish(() => resolve({ kind: 'terminal', update: message }));
          }
          return;
        case 'error':
          if (!isSubscribed) {
            // The subscription itself was refused: waiting on would wait forever.
            const refusal = new KolejkaError(message.code, `Events channel: ${message.message}`, {
              details: message.details,
            });
            finish(() => reject(refusal));
            return;
          }
          options.logger.warn('events channel reported an error', {
            code: message.code,
            message: message.message,
          });
          return;
      }
    });
    const subscribe: EventsSubscribe = { type: 'events:subscribe', tasks: [key] };
    socket.send(JSON.stringify(subscribe));
  });
}
