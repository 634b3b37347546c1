import { KolejkaError, validationError } from '../errors.js';
import { schemaIssues, type SchemaName } from '../validator.js';
import type { EventsClientMessage, EventsServerMessage } from './event-messages.js';
import type { ForemanMessage, ServerMessage } from './foreman-messages.js';

/** Messages larger than this are refused before parsing (a task spec is a few kB). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

function parse<T>(schema: SchemaName, data: unknown): T {
  let value = data;
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (size > MAX_MESSAGE_BYTES) {
      throw new KolejkaError(
        'KOLEJKA_TOO_LARGE',
        `message of ${size} bytes exceeds ${MAX_MESSAGE_BYTES} bytes`,
      );
    }
    try {
      value = JSON.parse(data.toString()) as unknown;
    } catch (error) {
      throw validationError(
        'message',
        [{ path: '', message: `is not valid JSON: ${(error as Error).message}` }],
        {
          cause: error,
        },
      );
    }
  }
  const issues = schemaIssues(schema, value);
  if (issues.length > 0) throw validationError('message', issues);
  return value as T;
}

/** Parses and validates a foreman → server message (text, Buffer or an already parsed value). */
export function parseForemanMessage(data: unknown): ForemanMessage {
  return parse('foreman-message', data);
}

/** Parses and validates a server → foreman message. */
export function parseServerMessage(data: unknown): ServerMessage {
  return parse('server-message', data);
}

export function parseEventsClientMessage(data: unknown): EventsClientMessage {
  return parse('events-client-message', data);
}

export function parseEventsServerMessage(data: unknown): EventsServerMessage {
  return parse('events-server-message', data);
}
