import { TASK_STATES } from '../store/store-records.js';

/* The OpenAPI component schemas of the schedules routes (merged into the document). */

const time = { type: 'string', format: 'date-time' } as const;
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const id = { type: 'string', pattern: '^[0-9a-f]{32}$' } as const;
const priority = { type: 'integer', minimum: -1000, maximum: 1000 } as const;
const overlap = {
  type: 'string',
  enum: ['skip', 'allow'],
  description:
    '`skip`: a tick whose previous task has not ended submits nothing; `allow`: every tick submits',
} as const;

export const SCHEDULE_SCHEMAS: Record<string, unknown> = {
  ScheduleRequest: {
    type: 'object',
    required: ['cron', 'task'],
    properties: {
      cron: {
        type: 'string',
        description: '5-field cron expression, or @hourly, @daily, @weekly, @monthly, @yearly',
        examples: ['*/5 * * * *', '@daily'],
      },
      timezone: { type: 'string', default: 'UTC', description: 'IANA time zone' },
      task: ref('TaskSpec'),
      priority: { ...priority, default: 0 },
      overlap: { ...overlap, default: 'skip' },
      name: { type: 'string', maxLength: 200, description: 'A label for people' },
      paused: { type: 'boolean', default: false, description: 'Create it paused' },
    },
  },
  ScheduleChange: {
    type: 'object',
    minProperties: 1,
    additionalProperties: false,
    properties: { paused: { type: 'boolean' }, priority },
  },
  Schedule: {
    type: 'object',
    required: [
      'id',
      'owner',
      'cron',
      'timezone',
      'priority',
      'overlap',
      'paused',
      'firedCount',
      'skippedCount',
      'createdAt',
      'updatedAt',
      'task',
    ],
    properties: {
      id,
      owner: { type: 'string' },
      name: { type: 'string' },
      cron: { type: 'string' },
      timezone: { type: 'string' },
      priority: { type: 'integer' },
      overlap,
      paused: { type: 'boolean' },
      nextFiringAt: { ...time, description: 'The next tick it fires at (absent when paused)' },
      lastTickAt: { ...time, description: 'The last tick consumed (fired or skipped)' },
      lastFiredAt: time,
      lastTask: {
        type: 'object',
        required: ['key'],
        description: 'The task of the last firing; no state when it was deleted',
        properties: { key: id, state: { type: 'string', enum: TASK_STATES } },
      },
      firedCount: { type: 'integer' },
      skippedCount: { type: 'integer' },
      createdAt: time,
      updatedAt: time,
      task: { ...ref('TaskSpec'), description: 'Canonical; files[*].reference are blob hashes' },
    },
  },
  ScheduleList: {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: ref('Schedule') } },
  },
};
