import { doc, type OpenApiPaths } from '../http/route-module.js';
import { TASK_STATES } from '../store/store.js';
import { WINDOW_SECONDS } from './task-figures.js';

/* The OpenAPI side of the overview (issue 13): its schema and path item. */

const { ref } = doc;
const count = { type: 'integer', minimum: 0 } as const;
const window = { type: 'integer', const: WINDOW_SECONDS } as const;
const msOrNull = { type: ['integer', 'null'], minimum: 0 } as const;

export const OVERVIEW_SCHEMAS: Record<string, unknown> = {
  Overview: {
    type: 'object',
    required: ['at', 'tasks', 'queueWait', 'throughput', 'foremen', 'queue'],
    properties: {
      at: { type: 'string', format: 'date-time', description: 'When the figures were read' },
      tasks: {
        type: 'object',
        required: ['counts'],
        properties: {
          counts: {
            type: 'object',
            required: [...TASK_STATES],
            properties: Object.fromEntries(TASK_STATES.map((state) => [state, count])),
          },
        },
      },
      queueWait: {
        type: 'object',
        description:
          'How long the tasks assigned in the last hour waited (`assignedAt - createdAt`); the percentiles are null without samples',
        required: ['windowSeconds', 'samples', 'p50Ms', 'p95Ms'],
        properties: { windowSeconds: window, samples: count, p50Ms: msOrNull, p95Ms: msOrNull },
      },
      throughput: {
        type: 'object',
        description:
          'Tasks that ended in the last hour, by state, and per minute (all three states; 60 numbers, the oldest minute first)',
        required: ['windowSeconds', 'finished', 'failed', 'cancelled', 'perMinute'],
        properties: {
          windowSeconds: window,
          finished: count,
          failed: count,
          cancelled: count,
          perMinute: { type: 'array', items: count, minItems: 60, maxItems: 60 },
        },
      },
      foremen: {
        type: 'object',
        required: ['online', 'draining', 'capacity', 'free'],
        properties: {
          online: { ...count, description: 'Foremen connected now' },
          draining: { ...count, description: 'Of the online foremen, those draining' },
          capacity: {
            ...ref('Limits'),
            description:
              'The consumable limits (cpus, memory, gpus, …) of the online foremen, summed over those that declare each',
          },
          free: {
            ...ref('Limits'),
            description:
              'Capacity minus the demands of the tasks held, summed over the online foremen that are not draining',
          },
        },
      },
      queue: {
        type: 'object',
        required: ['paused', 'pausedTags'],
        properties: {
          paused: { type: 'boolean', description: 'The whole queue is paused' },
          pausedTags: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

export const OVERVIEW_PATHS: OpenApiPaths = {
  '/api/v1/overview': {
    get: {
      tags: ['queue'],
      operationId: 'getOverview',
      summary: 'Task counts, queue wait, throughput, foremen and queue state in one reply',
      description:
        "For anyone signed in. The task figures (`tasks`, `queueWait`, `throughput`) cover every task for inspectors, managers and admins, and only the caller's own tasks for clients and processors; `foremen` and `queue` are the same for everybody. Tasks requeued or deleted since they ended no longer count in `throughput`.",
      responses: { '200': doc.json(ref('Overview')), ...doc.errors(401) },
    },
  },
};
