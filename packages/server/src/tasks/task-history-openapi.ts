import { TASK_STATES } from '@kolejka/spec';
import { TASK_KEY_PATTERN, doc, type OpenApiPaths } from '../http/route-module.js';
import { TASK_HISTORY_LIMIT } from '../store/store.js';

/* The OpenAPI side of a task's history: its schemas and path item. */

const time = { type: 'string', format: 'date-time' } as const;
const { ref } = doc;

export const TASK_HISTORY_SCHEMAS: Record<string, unknown> = {
  TaskHistory: {
    type: 'object',
    required: ['items', 'attempts', 'isTruncated'],
    properties: {
      items: {
        type: 'array',
        description: 'The states the task went through, oldest first',
        items: ref('TaskHistoryEntry'),
      },
      attempts: {
        type: 'array',
        description: 'Its attempts (claims by a foreman or processor), oldest first',
        items: ref('TaskAttempt'),
      },
      isTruncated: {
        type: 'boolean',
        description: `The history reached ${TASK_HISTORY_LIMIT} events: older ones may be left out`,
      },
    },
  },
  TaskHistoryEntry: {
    type: 'object',
    required: ['state', 'attempt', 'at'],
    properties: {
      state: ref('TaskState'),
      attempt: { type: 'integer', description: 'The attempt counter then (0 before any claim)' },
      at: time,
      assignee: { type: 'string', description: 'The foreman id or processor user then' },
      reason: { type: 'string', description: 'Why it failed or was cancelled, or waits' },
    },
  },
  TaskAttempt: {
    type: 'object',
    required: ['attempt'],
    properties: {
      attempt: { type: 'integer' },
      assignee: { type: 'string', description: 'The foreman id or processor user' },
      assignedAt: time,
      startedAt: { ...time, description: 'Absent: it never ran (or that event is gone)' },
      endedAt: { ...time, description: 'Absent while the attempt goes on' },
      outcome: {
        type: 'string',
        enum: TASK_STATES.filter((state) =>
          ['queued', 'finished', 'failed', 'cancelled'].includes(state),
        ),
        description: '`queued`: released, lease lost or requeued; else how the task ended',
      },
    },
  },
};

export const TASK_HISTORY_PATHS: OpenApiPaths = {
  '/api/v1/tasks/{key}/history': {
    parameters: [doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN)],
    get: {
      tags: ['tasks'],
      operationId: 'getTaskHistory',
      summary: "A task's states with their times, and its attempts with their assignees",
      description:
        'Read from the event log (owner, assignee, inspectors, managers, admins — as `GET /api/v1/tasks/{key}`). ' +
        'The event log keeps 7 days: gc removes older events, so the history of an older task starts after its submission, or is empty; ' +
        `at most the newest ${TASK_HISTORY_LIMIT} events are read (\`isTruncated\`). ` +
        'Repeats of a state (a priority change logs the unchanged state) show once, at the time it was entered. ' +
        'An attempt begins at `assigned`, `running` is its start, and the next `queued`, `finished`, `failed` or `cancelled` ends it with that outcome.',
      responses: { '200': doc.json(ref('TaskHistory')), ...doc.errors(401, 404) },
    },
  },
};
