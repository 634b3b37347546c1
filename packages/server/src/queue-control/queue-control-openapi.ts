import { TASK_KEY_PATTERN, doc, type OpenApiPaths } from '../http/route-module.js';

/* The OpenAPI side of queue control (issue 12): its schemas and path items. */

const time = { type: 'string', format: 'date-time' } as const;
const { ref } = doc;
const userName = doc.path('name', 'User name');

export const QUEUE_CONTROL_SCHEMAS: Record<string, unknown> = {
  QueuePause: {
    type: 'object',
    required: ['pausedBy', 'pausedAt'],
    properties: {
      tag: { type: 'string', description: 'Only tasks requiring this tag are held; absent: all' },
      pausedBy: { type: 'string' },
      pausedAt: time,
    },
  },
  QueueStatus: {
    type: 'object',
    required: ['isPaused', 'pausedTags', 'pauses'],
    properties: {
      isPaused: { type: 'boolean', description: 'The whole queue is paused' },
      pausedTags: { type: 'array', items: { type: 'string' } },
      pauses: { type: 'array', items: ref('QueuePause') },
    },
  },
  QueuePauseRequest: {
    type: 'object',
    properties: {
      tag: {
        type: 'string',
        minLength: 1,
        description: 'Omit (or send no body) for the whole queue',
      },
    },
  },
  TaskChange: {
    type: 'object',
    required: ['priority'],
    properties: { priority: { type: 'integer', minimum: -1000, maximum: 1000 } },
  },
  TaskMove: {
    oneOf: [
      {
        type: 'object',
        required: ['to'],
        properties: { to: { type: 'string', enum: ['front', 'back'] } },
        additionalProperties: false,
      },
      {
        type: 'object',
        required: ['before'],
        properties: { before: { type: 'string', pattern: TASK_KEY_PATTERN } },
        additionalProperties: false,
      },
    ],
  },
  User: {
    type: 'object',
    required: [
      'username',
      'roles',
      'hasPassword',
      'createdAt',
      'weight',
      'maxRunning',
      'maxQueued',
    ],
    properties: {
      username: { type: 'string' },
      roles: { type: 'array', items: ref('Role') },
      hasPassword: { type: 'boolean' },
      createdAt: time,
      weight: { type: 'number', description: 'Fair-share weight (default 1)' },
      maxRunning: {
        type: ['integer', 'null'],
        description: 'Assigned/running tasks at most; null: no limit',
      },
      maxQueued: {
        type: ['integer', 'null'],
        description: 'Waiting/queued tasks at most (429 beyond); null: no limit',
      },
    },
  },
  UserList: {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: ref('User') } },
  },
  UserChange: {
    type: 'object',
    additionalProperties: false,
    properties: {
      roles: {
        type: 'array',
        minItems: 1,
        items: ref('Role'),
        description: 'Replaces the roles; admins cannot drop their own admin role (409)',
      },
      password: { type: 'string', minLength: 1, maxLength: 1024, description: 'A new password' },
      weight: { type: ['number', 'null'], exclusiveMinimum: 0, description: 'null: back to 1' },
      maxRunning: { type: ['integer', 'null'], minimum: 0, description: 'null: no limit' },
      maxQueued: { type: ['integer', 'null'], minimum: 0, description: 'null: no limit' },
    },
  },
};

export const QUEUE_CONTROL_PATHS: OpenApiPaths = {
  '/api/v1/queue': {
    get: {
      tags: ['queue'],
      operationId: 'getQueueStatus',
      summary: 'Whether the queue (or which tags of it) is paused',
      responses: { '200': doc.json(ref('QueueStatus')), ...doc.errors(401) },
    },
  },
  '/api/v1/queue/pause': {
    post: {
      tags: ['queue'],
      operationId: 'pauseQueue',
      summary:
        'Hold assignment of every queued task, or of those requiring a tag (managers, admins); running tasks go on. Every server process obeys it within half a second; it survives restarts.',
      requestBody: { ...doc.body(ref('QueuePauseRequest')), required: false },
      responses: { '200': doc.json(ref('QueueStatus')), ...doc.errors(400, 401, 403) },
    },
  },
  '/api/v1/queue/resume': {
    post: {
      tags: ['queue'],
      operationId: 'resumeQueue',
      summary: 'Lift the pause of the whole queue, or of one tag (managers, admins)',
      requestBody: { ...doc.body(ref('QueuePauseRequest')), required: false },
      responses: { '200': doc.json(ref('QueueStatus')), ...doc.errors(400, 401, 403) },
    },
  },
  '/api/v1/tasks/{key}': {
    parameters: [doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN)],
    patch: {
      tags: ['tasks'],
      operationId: 'changeTaskPriority',
      summary:
        "Change a waiting or queued task's priority (the owner up to the server's maxClientPriority; managers and admins any)",
      requestBody: doc.body(ref('TaskChange')),
      responses: { '200': doc.json(ref('Task')), ...doc.errors(400, 401, 403, 404, 409) },
    },
  },
  '/api/v1/tasks/{key}/move': {
    parameters: [doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN)],
    post: {
      tags: ['tasks'],
      operationId: 'moveTask',
      summary:
        'Reorder a waiting or queued task within its priority: to the front, the back, or before another task of the same priority (owner, managers, admins). Before a task of another priority: 409',
      requestBody: doc.body(ref('TaskMove')),
      responses: { '200': doc.json(ref('Task')), ...doc.errors(400, 401, 403, 404, 409) },
    },
  },
  '/api/v1/users': {
    get: {
      tags: ['users'],
      operationId: 'listUsers',
      summary: 'List users with their roles, fair-share weight and limits (admins)',
      responses: { '200': doc.json(ref('UserList')), ...doc.errors(401, 403) },
    },
  },
  '/api/v1/users/{name}': {
    parameters: [userName],
    get: {
      tags: ['users'],
      operationId: 'getUser',
      summary: 'Read a user with its weight and limits (admins)',
      responses: { '200': doc.json(ref('User')), ...doc.errors(401, 403, 404) },
    },
    patch: {
      tags: ['users'],
      operationId: 'changeUser',
      summary:
        "Change a user's roles, password, fair-share weight and limits (admins); null removes a limit",
      requestBody: doc.body(ref('UserChange')),
      responses: { '200': doc.json(ref('User')), ...doc.errors(400, 401, 403, 404, 409) },
    },
  },
};
