import http from 'node:http';
import type { Readable } from 'node:stream';
import type { AbortOption } from './engine.js';

export interface Exchange extends AbortOption {
  method: string;
  path: string;
  body?: unknown;
  /** 0: no timeout (the signal bounds the request). */
  timeoutMs?: number;
}

export interface Sent {
  request: http.ClientRequest;
  /** The response, once its headers are in. */
  response: Promise<http.IncomingMessage>;
  /** A response's whole body as text (fails when the request does). */
  read: (answer: Readable) => Promise<string>;
  /** Stops the timeout and the signal (the caller has what it needed). */
  isDone: () => void;
}

export function readText(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

/**
 * Sends a request and resolves with its response once the headers are in. The timeout runs
 * until `isDone` is called (the caller read what it needed); the signal until then too.
 * Either destroys the request with an error saying what was waited for.
 */
export function sendExchange(
  target: http.RequestOptions & { agent: http.Agent },
  exchange: Exchange,
  defaultTimeoutMs: number,
  headers: http.OutgoingHttpHeaders = {},
): Sent {
  const { method, path, body, abortSignal } = exchange;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (payload)
    Object.assign(headers, {
      'Content-Type': 'application/json',
      'Content-Length': payload.length,
    });
  const hijacking = headers.Upgrade !== undefined;
  // A hijacked socket must not go back to the pool: no agent then.
  const request = http.request({
    ...target,
    method,
    path,
    headers,
    agent: hijacking ? false : target.agent,
  });
  const timeoutMs = exchange.timeoutMs ?? defaultTimeoutMs;
  const timer =
    timeoutMs > 0
      ? setTimeout(
          () =>
            request.destroy(
              new Error(`Docker did not answer ${method} ${path} within ${timeoutMs / 1000} s`),
            ),
          timeoutMs,
        )
      : undefined;
  const onAbort = (): void => {
    request.destroy(
      abortSignal?.reason instanceof Error ? abortSignal.reason : new Error('aborted'),
    );
  };
  if (abortSignal?.aborted) onAbort();
  abortSignal?.addEventListener('abort', onAbort, { once: true });
  const isDone = (): void => {
    clearTimeout(timer);
    abortSignal?.removeEventListener('abort', onAbort);
  };
  // Request errors (the timeout, the signal, a lost connection) also end a body being read.
  const failed = new Promise<never>((_resolve, reject) => {
    request.on('error', (error) => {
      isDone();
      reject(error);
    });
  });
  failed.catch(() => undefined); // reported through `response` or `read`
  const response = Promise.race([
    new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve)),
    failed,
  ]);
  const read = (answer: Readable): Promise<string> => Promise.race([readText(answer), failed]);
  request.end(payload);
  return { response, request, isDone, read };
}
