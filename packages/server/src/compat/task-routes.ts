import type { Response, Router } from 'express';
import { parseResult } from '@kolejka/spec';
import { requirePermission, requirePrincipal } from '../accounts/principal.js';
import { parseJsonBody, readBody } from '../http/body.js';
import {
  TASK_KEY_PATTERN,
  doc,
  type OpenApiPaths,
  type RouteModule,
} from '../http/route-module.js';
import { mayPostResult, recordResult, type ResultPorts } from '../results/result-posting.js';
import type { ServerSettings } from '../server-settings.js';
import { TERMINAL_TASK_STATES, type TaskRecord } from '../store/store.js';
import { mayDeleteTask, mayReadResult, mayReadTask } from '../tasks/task-access.js';
import { submitTask, type SubmitPorts } from '../tasks/task-submission.js';
import { failure, forbidden, notFound, sendOk } from './envelope.js';

export interface CompatTaskPorts extends SubmitPorts, ResultPorts {
  settings: SubmitPorts['settings'] & Pick<ServerSettings, 'maxJsonBytes'>;
}

async function existingTask(ports: CompatTaskPorts, key: string): Promise<TaskRecord | undefined> {
  return /^[0-9a-f]{32}$/.test(key) ? ports.store.getTask(key) : undefined;
}

function registerTaskRoutes(router: Router, ports: CompatTaskPorts): void {
  router.post('/task/task/', async (req, res) => {
    const principal = requirePermission(res, 'task:submit', 'submit tasks');
    const json = parseJsonBody(await readBody(req, ports.settings.maxJsonBytes, 'task'), 'task');
    const record = await submitTask(ports, principal, json);
    sendOk(res, { task: record.spec });
  });

  router.post('/task/task/:key/', () => {
    throw forbidden('A task is created by POST /task/task/');
  });

  const read = async (key: string, res: Response): Promise<void> => {
    const principal = requirePrincipal(res);
    const task = await existingTask(ports, key);
    if (task === undefined) throw notFound(`Task ${key} does not exist`);
    if (!(await mayReadTask(ports, principal, task))) throw forbidden('Not your task');
    sendOk(res, { task: task.spec });
  };
  router.get('/task/task/:key/', (req, res) => read(req.params.key, res));
  router.put('/task/task/:key/', (req, res) => read(req.params.key, res));

  router.delete('/task/task/:key/', async (req, res) => {
    const principal = requirePrincipal(res);
    const task = await existingTask(ports, req.params.key);
    if (task === undefined) throw notFound(`Task ${req.params.key} does not exist`);
    if (!mayDeleteTask(principal, task)) throw forbidden('Not your task');
    if (!TERMINAL_TASK_STATES.includes(task.state)) {
      await ports.store.cancelTask(task.key, `deleted by ${principal.username}`, ports.clock());
    }
    await ports.store.deleteTask(task.key, ports.clock());
    ports.logger.info('task deleted', { task: task.key, by: principal.username });
    sendOk(res, { deleted: true });
  });
}

function registerResultRoutes(router: Router, ports: CompatTaskPorts): void {
  router.post('/task/result/', async (req, res) => {
    const principal = requirePermission(res, 'task:process', 'post results');
    const json = parseJsonBody(
      await readBody(req, ports.settings.maxJsonBytes, 'result'),
      'result',
    );
    const id = parseResult(json).id;
    const task = id === undefined ? undefined : await existingTask(ports, id);
    if (task === undefined) throw forbidden('The result names no known task');
    if (!(await mayPostResult(ports, principal, task))) throw forbidden('Not your assignment');
    const outcome = await recordResult(ports, principal, task, task.attempt, json);
    switch (outcome.outcome) {
      case 'stored':
      case 'duplicate':
        sendOk(res, { result: outcome.result.spec });
        return;
      case 'conflict':
        throw failure(`Task ${task.key} already has a different result`);
      case 'stale':
        throw failure(
          `Task ${task.key} is no longer assigned to ${principal.username} (it is ${outcome.task.state}); the result is refused`,
        );
      case 'not_found':
        throw forbidden('The task is gone');
    }
  });

  router.post('/task/result/:key/', () => {
    throw forbidden('A result is posted to /task/result/');
  });

  /** The task of a result route: the original answers an unknown one with FAIL on 200. */
  const resultTask = async (key: string, res: Response): Promise<TaskRecord> => {
    const principal = requirePrincipal(res);
    const task = await existingTask(ports, key);
    if (task === undefined) throw failure(`Task ${key} is unknown`);
    if (!mayReadResult(principal, task)) throw forbidden('Not your task');
    return task;
  };
  const read = async (key: string, res: Response): Promise<void> => {
    const task = await resultTask(key, res);
    const result = await ports.store.getResult(task.key);
    // 404 is what pollers (`kolejka-client execute`) wait on.
    if (result === undefined) throw notFound(`Task ${key} has no result yet`);
    sendOk(res, { result: result.spec });
  };
  router.get('/task/result/:key/', (req, res) => read(req.params.key, res));
  router.put('/task/result/:key/', (req, res) => read(req.params.key, res));

  router.delete('/task/result/:key/', async (req, res) => {
    const task = await resultTask(req.params.key, res);
    const principal = requirePrincipal(res);
    if (!mayDeleteTask(principal, task)) throw forbidden('Not your task');
    if (!(await ports.store.deleteResult(task.key, ports.clock()))) {
      throw notFound(`Task ${task.key} has no result`);
    }
    ports.logger.info('result deleted', { task: task.key, by: principal.username });
    sendOk(res, { deleted: true });
  });
}

const keyParameter = doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN);
const envelope = { '200': doc.json(doc.ref('CompatEnvelope')) };
const refused = { '403': doc.empty('Not allowed'), '404': doc.empty('Missing') };
const operation = (id: string, summary: string, extra: Record<string, unknown> = {}) => ({
  tags: ['compat'],
  operationId: id,
  summary: `Original API: ${summary}`,
  security: [{ session: [] }],
  ...extra,
  responses: { ...envelope, ...refused },
});
const rawJson = (description: string) => ({
  required: true,
  description: `${description} (raw JSON, any or no Content-Type)`,
  content: { 'application/json': { schema: { type: 'object' } } },
});

export function compatTaskRoutes(ports: CompatTaskPorts): RouteModule {
  return { api: 'compat', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: CompatTaskPorts): void {
  registerTaskRoutes(router, ports);
  registerResultRoutes(router, ports);
}

const PATHS: OpenApiPaths = {
  '/task/task/': {
    post: operation('compatSubmitTask', 'submit a task (clients)', {
      requestBody: rawJson('kolejka_task.json with file references'),
    }),
  },
  '/task/task/{key}/': {
    parameters: [keyParameter],
    get: operation('compatGetTask', 'read a task (owner, assignee, inspectors)'),
    head: operation('compatHeadTask', 'read a task (headers only)'),
    put: operation('compatQueryTask', 'read a task'),
    delete: operation('compatDeleteTask', 'delete a task (owner, managers)'),
    post: operation('compatPostTaskKey', 'always 403'),
  },
  '/task/result/': {
    post: operation('compatPostResult', 'post the result of an assignment (processors)', {
      requestBody: rawJson('kolejka_result.json with file references'),
    }),
  },
  '/task/result/{key}/': {
    parameters: [keyParameter],
    get: operation(
      'compatGetResult',
      'read a result (owner, inspectors); 404 while pending, FAIL for an unknown task',
    ),
    head: operation('compatHeadResult', 'read a result (headers only)'),
    put: operation('compatQueryResult', 'read a result'),
    delete: operation('compatDeleteResult', 'delete a result (owner, managers)'),
    post: operation('compatPostResultKey', 'always 403'),
  },
};
