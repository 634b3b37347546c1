import type { Router } from 'express';

/** OpenAPI path items keyed by full path in OpenAPI form (`/api/v1/tasks/{key}`). */
export type OpenApiPaths = Record<string, Record<string, unknown>>;

/**
 * A group of routes and their documentation, kept side by side so the OpenAPI document
 * grows with the routes. Each feature builds its modules from the ports it uses (a
 * `xRoutes({ store, clock, … })` factory); more modules plug in through `createApp({ modules })`.
 */
export interface RouteModule {
  /**
   * Which API the routes belong to: `v1` (mounted at `/api/v1`, bearer tokens, `{error}`
   * bodies), `compat` (the root, session cookies and CSRF, the original's replies) or `ops`
   * (the root, anonymous: health and metrics).
   */
  api: 'v1' | 'compat' | 'ops';
  paths: OpenApiPaths;
  register(router: Router): void;
}

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

/** Small builders that keep the path items short and alike. */
export const doc = {
  ref,
  json: (schema: unknown, description = 'JSON'): Record<string, unknown> => ({
    description,
    content: { 'application/json': { schema } },
  }),
  body: (schema: unknown, description?: string): Record<string, unknown> => ({
    required: true,
    ...(description === undefined ? {} : { description }),
    content: { 'application/json': { schema } },
  }),
  binaryBody: (description: string): Record<string, unknown> => ({
    required: true,
    description,
    content: { 'application/octet-stream': { schema: { type: 'string' } } },
  }),
  binary: (description: string): Record<string, unknown> => ({
    description,
    content: { 'application/octet-stream': { schema: { type: 'string' } } },
  }),
  empty: (description: string): Record<string, unknown> => ({ description }),
  /** Error replies (`{"error": ...}`) for the given statuses. */
  errors: (...statuses: number[]): Record<string, unknown> =>
    Object.fromEntries(
      statuses.map((status) => [
        String(status),
        {
          description: ERROR_DESCRIPTIONS[status] ?? 'Error',
          content: { 'application/json': { schema: ref('ApiError') } },
        },
      ]),
    ),
  path: (name: string, description: string, pattern?: string): Record<string, unknown> => ({
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string', ...(pattern === undefined ? {} : { pattern }) },
  }),
  query: (name: string, description: string, schema: unknown): Record<string, unknown> => ({
    name,
    in: 'query',
    required: false,
    description,
    schema,
  }),
  bearer: [{ bearer: [] }] as const,
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (details.issues lists each problem with its JSON path)',
  401: 'Missing or invalid bearer token',
  403: 'The caller may not do this',
  404: 'No such resource (or not visible to the caller)',
  409: 'Conflict with the current state',
  413: 'Body larger than the server accepts',
  415: 'Wrong Content-Type',
  416: 'Range not satisfiable',
  406: 'The endpoint cannot answer in the accepted format',
  426: 'A WebSocket upgrade is required',
  429: 'Too many attempts (wait the Retry-After seconds) or over a per-user limit (the message names it)',
  507: "No space left on the server's disk (the message names the cause, e.g. ENOSPC)",
  503: 'Unavailable',
};

export const HASH_PATTERN = '^[0-9a-f]{64}$';
export const TASK_KEY_PATTERN = '^[0-9a-f]{32}$';
