import type { RawData } from 'ws';
import { isKolejkaError, type ProtocolError } from '@kolejka/spec';

/** How many invalid messages a peer may send within `WINDOW_MS` before it is cut off. */
export const MAX_INVALID_MESSAGES = 10;
const WINDOW_MS = 60_000;

/** Counts a peer's invalid messages over a sliding minute. */
export class InvalidMessageCounter {
  private readonly times: number[] = [];

  /** Records one; true when the peer has now sent too many and must be disconnected. */
  record(nowMs: number): boolean {
    this.times.push(nowMs);
    while (this.times.length > 0 && (this.times[0] ?? 0) <= nowMs - WINDOW_MS) this.times.shift();
    return this.times.length >= MAX_INVALID_MESSAGES;
  }
}

/** The `error` message for a refused message: its code, what is wrong and where (JSON paths). */
export function protocolErrorOf(error: unknown): ProtocolError {
  if (isKolejkaError(error))
    return {
      type: 'error',
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  return { type: 'error', code: 'KOLEJKA_INTERNAL', message: 'Internal error' };
}

/** The bytes of a WebSocket message, whatever form `ws` delivered it in. */
export function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
