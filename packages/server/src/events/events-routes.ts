import type { Response, Router } from 'express';
import { validationError, type EventsServerMessage, type ValidationIssue } from '@kolejka/spec';
import { requirePrincipal, type Principal } from '../accounts/principal.js';
import { HttpError } from '../http/errors.js';
import {
  TASK_KEY_PATTERN,
  doc,
  type OpenApiPaths,
  type RouteModule,
} from '../http/route-module.js';
import { assertMayFollowAll, type EventSink, type EventsHub } from './events-hub.js';

/** Comments keep proxies and load balancers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;
const MAX_TASKS = 10_000;

const FLAG_VALUES = ['', '0', '1', 'true', 'false', 'yes', 'no'];

/** `?mine`, `?mine=1`, `?mine=true`… as a boolean; undefined when absent. */
function flagOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

const isSet = (flag: string | undefined): boolean =>
  flag === '' || flag === '1' || flag === 'true' || flag === 'yes';

function parseQuery(query: Record<string, unknown>): {
  tasks: string[];
  mine: boolean;
  all: boolean;
} {
  const issues: ValidationIssue[] = [];
  const raw = query.tasks;
  const text = Array.isArray(raw) ? raw.join(',') : typeof raw === 'string' ? raw : '';
  const tasks = text.split(',').filter((key) => key !== '');
  tasks.forEach((key, index) => {
    if (!new RegExp(TASK_KEY_PATTERN).test(key))
      issues.push({ path: `/tasks/${index}`, message: `${JSON.stringify(key)} is not a task key` });
  });
  if (tasks.length > MAX_TASKS)
    issues.push({ path: '/tasks', message: `lists more than ${MAX_TASKS} tasks` });
  const mine = flagOf(query.mine);
  if (mine !== undefined && !FLAG_VALUES.includes(mine))
    issues.push({ path: '/mine', message: 'must be 1 or 0' });
  const all = flagOf(query.all);
  if (all !== undefined && !FLAG_VALUES.includes(all))
    issues.push({ path: '/all', message: 'must be 1 or 0' });
  if (issues.length > 0) throw validationError('events query', issues);
  return { tasks, mine: isSet(mine), all: isSet(all) };
}

/** One Server-Sent Events stream. */
class SseSink implements EventSink {
  constructor(
    readonly principal: Principal,
    private readonly res: Response,
  ) {}

  send(message: EventsServerMessage): void {
    if (this.res.writableEnded) return;
    this.res.write(`event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`);
  }

  close(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}

/** `GET /api/v1/events` without a WebSocket upgrade: Server-Sent Events for curl users. */
export function eventsRoutes(ports: { events: EventsHub }): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: { events: EventsHub }): void {
  router.get('/events', async (req, res) => {
    const principal = requirePrincipal(res);
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      throw new HttpError(
        406,
        'KOLEJKA_VALIDATION',
        'Connect with a WebSocket upgrade, or ask for Server-Sent Events with "Accept: text/event-stream"',
      );
    }
    const request = parseQuery(req.query);
    // Refused before the stream starts, so the caller gets a plain 403 rather than a stream.
    if (request.all) assertMayFollowAll(principal);
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const sink = new SseSink(principal, res);
    const sub = ports.events.attach(sink);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    res.once('close', () => {
      clearInterval(keepalive);
      ports.events.detach(sub);
    });
    await ports.events.subscribe(sub, request);
  });
}

const PATHS: OpenApiPaths = {
  '/api/v1/events': {
    get: {
      tags: ['events'],
      operationId: 'followEvents',
      summary: 'Follow task state changes (WebSocket, or Server-Sent Events)',
      description:
        "With a WebSocket upgrade: send `events:subscribe {tasks?, mine?, all?}` (and `events:unsubscribe`), receive `events:subscribed {tasks, mine, all, refused}` and a `task:updated {key, state, attempt, at, reason?, result?, deleted?}` for every change (schemas: @kolejka/spec). Without an upgrade, `Accept: text/event-stream` gives the same messages as Server-Sent Events (`event: task:updated`), for the tasks in `tasks` and, with `mine=1`, every task of the caller, and with `all=1` every task of everybody. Each named task first gets its current state (`mine` and `all` send changes only). Tasks the caller may not read are refused; `all` is only for callers who may read every task (inspector, manager, admin): others get 403 KOLEJKA_FORBIDDEN (on the WebSocket an `error` message). Authentication: `Authorization: Bearer <token>`; a browser, which cannot set that header on a WebSocket, offers the token as a subprotocol instead: `Sec-WebSocket-Protocol: kolejka.v1, kolejka.bearer.<token>` (JavaScript: `new WebSocket(url, ['kolejka.v1', 'kolejka.bearer.' + token])`). The server answers with `kolejka.v1` (never the token); the header wins when both are sent; a bad token is 401 before the upgrade, and `kolejka.bearer.*` without `kolejka.v1` is 400.",
      parameters: [
        doc.query('tasks', 'Task keys to follow (comma-separated)', { type: 'string' }),
        doc.query('mine', '1: follow every task of the caller, present and future', {
          type: 'string',
          enum: ['0', '1'],
        }),
        doc.query(
          'all',
          '1: follow every task of everybody, present and future (inspector, manager, admin)',
          { type: 'string', enum: ['0', '1'] },
        ),
      ],
      responses: {
        '200': {
          description: 'A stream of `events:subscribed` then `task:updated` events',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        '101': doc.empty('Switching to the WebSocket protocol'),
        ...doc.errors(400, 401, 403, 406),
      },
    },
  },
};
