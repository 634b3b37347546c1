import { ERROR_CODES } from '../errors.js';
import { TASK_STATES } from '../task-state.js';
import { limitsSchema } from './limits.js';
import { taskSchema } from './task.js';

/** JSON Schemas of the push-channel messages (see protocol/*.ts for their meaning). */

const key = { type: 'string', pattern: '^[0-9a-f]{32}$' } as const;
const attempt = { type: 'integer', minimum: 0 } as const;
const reason = { type: 'string', maxLength: 4096 } as const;
const taskAttempt = {
  type: 'object',
  required: ['key', 'attempt'],
  properties: { key, attempt },
} as const;
const taskAttempts = { type: 'array', maxItems: 10_000, items: taskAttempt } as const;

function message(type: string, properties: Record<string, unknown>, required: string[]): object {
  return {
    type: 'object',
    required: ['type', ...required],
    properties: { type: { const: type }, ...properties },
  };
}

const attemptMessage = (
  type: string,
  extra: Record<string, unknown> = {},
  required: string[] = [],
): object => message(type, { key, attempt, ...extra }, ['key', 'attempt', ...required]);

const errorMessage = message(
  'error',
  { code: { enum: ERROR_CODES }, message: { type: 'string' }, details: {} },
  ['code', 'message'],
);

export const foremanMessageSchema = {
  title: 'Message from a foreman to the server',
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  properties: { type: { type: 'string' } },
  oneOf: [
    message(
      'foreman:hello',
      {
        protocols: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          items: { type: 'integer', minimum: 1 },
        },
        foremanId: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' },
        version: { type: 'string', maxLength: 100 },
        tags: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 1000 } },
        capacity: limitsSchema,
        running: taskAttempts,
        unenforcedLimits: {
          type: 'array',
          maxItems: 100,
          items: { type: 'string', maxLength: 100 },
        },
        draining: { type: 'boolean' },
      },
      ['protocols', 'foremanId', 'version', 'tags', 'capacity', 'running'],
    ),
    message('foreman:heartbeat', { running: taskAttempts }, ['running']),
    attemptMessage('task:accepted'),
    attemptMessage('task:rejected', { reason, isTransient: { type: 'boolean' } }, ['reason']),
    attemptMessage('task:started'),
    // The result is only required to be an object here: the receiver parses it as a result
    // (parseResult), so that a refusal can name the task it belongs to.
    attemptMessage('task:finished', { result: { type: 'object' } }),
    attemptMessage('task:failed', { reason }, ['reason']),
  ],
} as const;

export const serverMessageSchema = {
  title: 'Message from the server to a foreman',
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  properties: { type: { type: 'string' } },
  oneOf: [
    message(
      'server:welcome',
      {
        protocol: { type: 'integer', minimum: 1 },
        serverId: { type: 'string' },
        heartbeatIntervalMs: { type: 'integer', minimum: 1 },
        leaseMs: { type: 'integer', minimum: 1 },
        kept: taskAttempts,
        dropped: taskAttempts,
        draining: { type: 'boolean' },
      },
      ['protocol', 'serverId', 'heartbeatIntervalMs', 'leaseMs', 'kept', 'dropped', 'draining'],
    ),
    attemptMessage(
      'task:assign',
      { leaseExpiresAt: { type: 'string' }, task: taskSchema, limits: limitsSchema },
      ['leaseExpiresAt', 'task', 'limits'],
    ),
    attemptMessage('task:cancel', { reason }, ['reason']),
    message('foreman:drain', { draining: { type: 'boolean' } }, ['draining']),
    attemptMessage('result:stored'),
    errorMessage,
  ],
} as const;

const taskKeys = { type: 'array', maxItems: 10_000, items: key } as const;

export const eventsClientMessageSchema = {
  title: 'Message from a client on the events channel',
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  properties: { type: { type: 'string' } },
  oneOf: [
    message(
      'events:subscribe',
      { tasks: taskKeys, mine: { type: 'boolean' }, all: { type: 'boolean' } },
      [],
    ),
    message(
      'events:unsubscribe',
      { tasks: taskKeys, mine: { type: 'boolean' }, all: { type: 'boolean' } },
      [],
    ),
  ],
} as const;

export const eventsServerMessageSchema = {
  title: 'Message from the server on the events channel',
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  properties: { type: { type: 'string' } },
  oneOf: [
    message(
      'events:subscribed',
      {
        tasks: taskKeys,
        mine: { type: 'boolean' },
        all: { type: 'boolean' },
        refused: { type: 'array', items: { type: 'string' } },
      },
      ['tasks', 'mine', 'refused'],
    ),
    message(
      'task:updated',
      {
        key,
        state: { enum: TASK_STATES },
        attempt,
        at: { type: 'string' },
        reason: { type: 'string' },
        result: { type: 'string' },
        deleted: { type: 'boolean' },
      },
      ['key', 'state', 'attempt', 'at'],
    ),
    errorMessage,
  ],
} as const;
