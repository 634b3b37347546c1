import { SCHEMAS } from '@kolejka/spec';
import { TASK_STATES, ROLES } from '../store/store.js';
import { sendJson } from '../http/errors.js';
import {
  HASH_PATTERN,
  TASK_KEY_PATTERN,
  doc,
  type OpenApiPaths,
  type RouteModule,
} from '../http/route-module.js';
import { USER_ADMIN_SCHEMAS } from '../accounts/user-admin-openapi.js';
import { QUEUE_CONTROL_SCHEMAS } from '../queue-control/queue-control-openapi.js';
import { OVERVIEW_SCHEMAS } from '../overview/overview-openapi.js';
import { TASK_HISTORY_SCHEMAS } from '../tasks/task-history-openapi.js';
import { SCHEDULE_SCHEMAS } from '../schedules/schedule-openapi.js';

const time = { type: 'string', format: 'date-time' } as const;
const { ref } = doc;

/** Schemas of the v1 resources; the task, result, limits, stats and error ones are spec's. */
const COMPONENT_SCHEMAS: Record<string, unknown> = {
  ...SCHEDULE_SCHEMAS,
  ...USER_ADMIN_SCHEMAS,
  TaskSpec: SCHEMAS.task,
  ResultSpec: SCHEMAS.result,
  Limits: SCHEMAS.limits,
  Stats: SCHEMAS.stats,
  ApiError: SCHEMAS['api-error'],
  TaskState: { type: 'string', enum: TASK_STATES },
  Role: { type: 'string', enum: ROLES },
  TaskRequest: {
    type: 'object',
    required: ['task'],
    properties: {
      task: ref('TaskSpec'),
      priority: { type: 'integer', minimum: -1000, maximum: 1000, default: 0 },
      // Task dependencies (issue 12)
      dependencies: {
        type: 'array',
        maxItems: 10000,
        items: { type: 'string', pattern: TASK_KEY_PATTERN },
        description:
          'Keys of your tasks (any task for managers) this one waits on; stored `waiting` until they end as `after` asks',
      },
      after: ref('AfterPolicy'),
      inputs: {
        type: 'object',
        description:
          'Task file name → a file of a dependency result, added to the task files when it is released',
        additionalProperties: ref('TaskInput'),
      },
    },
  },
  AfterPolicy: {
    type: 'string',
    enum: ['finished', 'succeeded', 'any'],
    default: 'finished',
    description:
      '`finished`: the dependency stored a result (any exit code); `succeeded`: exit code 0; `any`: also failed or cancelled',
  },
  TaskInput: {
    type: 'object',
    required: ['from', 'path'],
    properties: {
      from: { type: 'string', pattern: TASK_KEY_PATTERN, description: 'One of the dependencies' },
      path: { type: 'string', description: 'A file in its result' },
    },
  },
  TaskGraph: {
    type: 'object',
    required: ['root', 'nodes', 'edges', 'depth', 'maxNodes', 'isTruncated'],
    properties: {
      root: { type: 'string', pattern: TASK_KEY_PATTERN },
      nodes: {
        type: 'array',
        items: {
          type: 'object',
          required: ['key', 'distance'],
          properties: {
            key: { type: 'string', pattern: TASK_KEY_PATTERN },
            state: ref('TaskState'),
            owner: { type: 'string' },
            reason: { type: 'string' },
            after: ref('AfterPolicy'),
            distance: {
              type: 'integer',
              description: 'Negative: upstream (dependencies); positive: downstream',
            },
            dependentCount: { type: 'integer' },
          },
        },
      },
      edges: {
        type: 'array',
        items: {
          type: 'object',
          required: ['dependency', 'dependent', 'after'],
          properties: {
            dependency: { type: 'string', pattern: TASK_KEY_PATTERN },
            dependent: { type: 'string', pattern: TASK_KEY_PATTERN },
            after: ref('AfterPolicy'),
            outcome: { type: 'string', enum: ['satisfied', 'unsatisfied'] },
          },
        },
      },
      depth: { type: 'integer' },
      maxNodes: { type: 'integer' },
      isTruncated: { type: 'boolean' },
    },
  },
  Task: {
    type: 'object',
    required: [
      'key',
      'owner',
      'state',
      'priority',
      'attempt',
      'maxAttempts',
      'createdAt',
      'updatedAt',
      'spec',
    ],
    properties: {
      key: { type: 'string', pattern: TASK_KEY_PATTERN },
      owner: { type: 'string' },
      state: ref('TaskState'),
      priority: { type: 'integer' },
      attempt: { type: 'integer', description: 'Fencing token: incremented by every claim' },
      maxAttempts: { type: 'integer' },
      assignee: { type: 'string' },
      leaseExpiresAt: time,
      reason: { type: 'string', description: 'Why the task failed or was cancelled' },
      // Task dependencies (issue 12): in single-task answers, not in listings.
      dependencies: { type: 'array', items: { type: 'string', pattern: TASK_KEY_PATTERN } },
      after: ref('AfterPolicy'),
      inputs: { type: 'object', additionalProperties: ref('TaskInput') },
      unsatisfiedDependencies: { type: 'integer' },
      dependentCount: { type: 'integer' },
      createdAt: time,
      updatedAt: time,
      assignedAt: time,
      startedAt: time,
      finishedAt: time,
      schedule: {
        type: 'string',
        pattern: TASK_KEY_PATTERN,
        description: 'The schedule whose firing submitted the task',
      },
      spec: { ...ref('TaskSpec'), description: 'Canonical; files[*].reference are blob hashes' },
    },
  },
  TaskPage: {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: ref('Task') }, nextCursor: { type: 'string' } },
  },
  Result: {
    type: 'object',
    required: ['taskKey', 'attempt', 'poster', 'createdAt', 'spec'],
    properties: {
      taskKey: { type: 'string', pattern: TASK_KEY_PATTERN },
      attempt: { type: 'integer' },
      poster: { type: 'string' },
      createdAt: time,
      spec: { ...ref('ResultSpec'), description: 'Canonical; files[*].reference are blob hashes' },
    },
  },
  ResultRequest: {
    type: 'object',
    required: ['attempt', 'result'],
    properties: {
      attempt: { type: 'integer', minimum: 1, description: 'The attempt of the assignment' },
      result: ref('ResultSpec'),
    },
  },
  Blob: {
    type: 'object',
    required: ['hash', 'size', 'createdAt'],
    properties: {
      hash: { type: 'string', pattern: HASH_PATTERN },
      size: { type: 'integer' },
      createdAt: time,
    },
  },
  TokenRequest: {
    type: 'object',
    required: ['username', 'password'],
    properties: {
      username: { type: 'string' },
      password: { type: 'string' },
      label: { type: 'string', description: 'What the token is for (shown in lists)' },
    },
  },
  Token: {
    type: 'object',
    required: ['id', 'username', 'createdAt'],
    properties: {
      id: { type: 'string' },
      username: { type: 'string' },
      label: { type: 'string' },
      createdAt: time,
      lastUsedAt: time,
    },
  },
  NewToken: {
    allOf: [
      ref('Token'),
      {
        type: 'object',
        required: ['token', 'roles'],
        properties: {
          token: { type: 'string', description: 'The secret; shown only once' },
          roles: { type: 'array', items: ref('Role') },
        },
      },
    ],
  },
  Me: {
    type: 'object',
    required: ['username', 'roles'],
    properties: {
      username: { type: 'string' },
      roles: { type: 'array', items: ref('Role') },
      tokenId: { type: 'string' },
    },
  },
  Settings: {
    type: 'object',
    properties: {
      blobHashAlgorithm: { const: 'sha256' },
      limits: { ...ref('Limits'), description: 'The maximum limits (as /settings/ gives them)' },
      defaultLimits: ref('Limits'),
      maxLimits: ref('Limits'),
      imagePatterns: { type: 'array', items: { type: 'string' } },
      callbackHosts: { type: 'array', items: { type: 'string' } },
      maxJsonBytes: { type: 'integer' },
      maxBlobBytes: { type: 'integer' },
      leaseMs: { type: 'integer' },
      heartbeatIntervalMs: { type: 'integer' },
      maxAttempts: { type: 'integer' },
      compatLeaseMs: { type: 'integer' },
      retention: {
        type: 'string',
        description:
          'How long ended tasks are kept: `default=…s,<role>=…s,user:<name>=…s` (empty: for ever)',
      },
      maintenanceIntervalMs: {
        type: 'integer',
        description: 'How often the server applies the retention and collects garbage (0: never)',
      },
    },
  },
  QueueStats: {
    type: 'object',
    required: ['tasks', 'total'],
    properties: {
      tasks: { type: 'object', additionalProperties: { type: 'integer' } },
      total: { type: 'integer' },
      assignees: { type: 'object', additionalProperties: { type: 'integer' } },
    },
  },
  Foreman: {
    type: 'object',
    required: [
      'id',
      'username',
      'tags',
      'capacity',
      'free',
      'running',
      'online',
      'draining',
      'updatedAt',
    ],
    properties: {
      id: { type: 'string' },
      username: { type: 'string', description: 'The processor user it connects as' },
      version: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      capacity: { ...ref('Limits'), description: 'What it offers' },
      free: { ...ref('Limits'), description: 'Capacity minus the demands of the tasks it holds' },
      running: {
        type: 'array',
        items: {
          type: 'object',
          required: ['key', 'attempt', 'state'],
          properties: {
            key: { type: 'string', pattern: TASK_KEY_PATTERN },
            attempt: { type: 'integer' },
            state: ref('TaskState'),
          },
        },
      },
      lastHeartbeatAt: time,
      online: { type: 'boolean' },
      draining: { type: 'boolean', description: 'Drained by a manager, or draining itself' },
      serverId: { type: 'string', description: 'The server process holding its connection' },
      updatedAt: time,
    },
  },
  ForemanList: {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: ref('Foreman') } },
  },
  CompatEnvelope: {
    type: 'object',
    required: ['status'],
    description:
      'The original reply: the payload plus status; FAIL comes with HTTP 200 and a message. Content-Type is exactly application/json.',
    properties: { status: { enum: ['OK', 'FAIL'] }, message: { type: 'string' } },
    additionalProperties: true,
  },
  CompatDequeueRequest: {
    type: 'object',
    properties: {
      concurency: { type: 'integer', minimum: 1, default: 1 },
      limits: ref('Limits'),
      tags: { type: 'array', items: { type: 'string' } },
    },
  },
};

/** The OpenAPI 3.1 document of every route module. */
export function buildOpenApiDocument(modules: readonly RouteModule[], version: string) {
  const paths: OpenApiPaths = {};
  for (const module of modules) {
    for (const [path, item] of Object.entries(module.paths)) {
      paths[path] = { ...(paths[path] ?? {}), ...item };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kolejka server',
      version,
      description:
        'API v1 under /api/v1 (JSON, `Authorization: Bearer <token>`; errors are `{"error": {"code", "message", "details"?}}`), the original-compatible API at the root (session cookie, CSRF, `{"status": "OK"|"FAIL"}` envelope), and operations endpoints.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'auth' },
      { name: 'blobs' },
      { name: 'tasks' },
      { name: 'results' },
      { name: 'queue' },
      {
        name: 'users',
        description:
          'Users: created, removed, their roles, passwords, tokens, fair-share weights and limits (admins)',
      },
      { name: 'schedules', description: 'Cron schedules that submit a task at every tick' },
      { name: 'foremen', description: 'The push channel of foremen, and their administration' },
      { name: 'events', description: 'Task state changes pushed to clients' },
      { name: 'compat', description: 'The original Kolejka API, for its client and foreman' },
      { name: 'operations' },
      { name: 'dashboard', description: 'The web dashboard at /ui/ (static files)' },
    ],
    paths,
    components: {
      // Queue control (issue 12), task history and the overview add their own schemas.
      schemas: {
        ...COMPONENT_SCHEMAS,
        ...QUEUE_CONTROL_SCHEMAS,
        ...TASK_HISTORY_SCHEMAS,
        ...OVERVIEW_SCHEMAS,
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from POST /api/v1/tokens' },
        session: { type: 'apiKey', in: 'cookie', name: 'sessionid' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRFToken' },
      },
    },
  };
}

/** `GET /api/v1/openapi.json`, anonymous. */
export function openApiRoutes(getDocument: () => unknown): RouteModule {
  return {
    api: 'v1',
    register(router) {
      router.get('/openapi.json', (_req, res) => sendJson(res, 200, getDocument()));
    },
    paths: {
      '/api/v1/openapi.json': {
        get: {
          tags: ['operations'],
          operationId: 'getOpenApi',
          summary: 'This document',
          security: [],
          responses: { '200': doc.json({ type: 'object' }, 'OpenAPI 3.1') },
        },
      },
    },
  };
}
