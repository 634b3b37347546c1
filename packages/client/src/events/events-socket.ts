import WebSocket from 'ws';
import { abortError } from '../http/abort.js';
import { describeNetworkError } from '../http/network-errors.js';

/** Opens the events WebSocket (a seam: tests may hand in their own). */
export type WebSocketFactory = (
  url: string,
  options: { headers: Record<string, string>; handshakeTimeoutMs: number },
) => WebSocket;

export const defaultWebSocketFactory: WebSocketFactory = (url, options) =>
  new WebSocket(url, {
    headers: options.headers,
    handshakeTimeout: options.handshakeTimeoutMs,
    // Task updates are small; a larger message is not one of ours.
    maxPayload: 4 * 1024 * 1024,
  });

/** The events channel could not be opened at one URL (it may not exist there). */
export class EventsUnavailableError extends Error {
  override readonly name = 'EventsUnavailableError';
}

/** Resolves with the open socket, or rejects saying why it could not be opened. */
export function openEventsSocket(
  factory: WebSocketFactory,
  url: string,
  options: { headers: Record<string, string>; handshakeTimeoutMs: number; signal: AbortSignal },
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      reject(abortError(options.signal));
      return;
    }
    const socket = factory(url, options);
    const cleanup = (): void => {
      socket.removeAllListeners('open');
      socket.removeAllListeners('unexpected-response');
      options.signal.removeEventListener('abort', onAbort);
    };
    const fail = (error: Error): void => {
      cleanup();
      // Swallow late errors of a socket given up on.
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      socket.terminate();
      reject(error);
    };
    const onAbort = (): void => fail(abortError(options.signal));
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('open', () => {
      cleanup();
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) =>
      fail(new EventsUnavailableError(describeNetworkError(error), { cause: error })),
    );
    socket.once('unexpected-response', (request, response) => {
      response.resume();
      request.destroy();
      fail(new EventsUnavailableError(`the upgrade was answered with HTTP ${response.statusCode}`));
    });
  });
}
