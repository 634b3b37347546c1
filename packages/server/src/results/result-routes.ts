import type { Router } from 'express';
import { KolejkaError, validationError } from '@kolejka/spec';
import { requirePermission, requirePrincipal } from '../accounts/principal.js';
import { mayDeleteTask, taskNotFound, visibleTask } from '../tasks/task-access.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import {
  TASK_KEY_PATTERN,
  doc,
  type OpenApiPaths,
  type RouteModule,
} from '../http/route-module.js';
import type { ServerSettings } from '../server-settings.js';
import { noResult, readableResult } from './readable-result.js';
import { postResult, type ResultPorts } from './result-posting.js';
import { resultView } from './result-view.js';

export interface ResultRoutePorts extends ResultPorts {
  settings: Pick<ServerSettings, 'maxJsonBytes'>;
}

/** A task's result: read, post (processors, fenced by attempt), delete. */
export function resultRoutes(ports: ResultRoutePorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: ResultRoutePorts): void {
  router.get('/tasks/:key/result', async (req, res) => {
    const { result } = await readableResult(ports, requirePrincipal(res), req.params.key);
    sendJson(res, 200, resultView(result));
  });

  router.put('/tasks/:key/result', async (req, res) => {
    const principal = requirePermission(res, 'task:process', 'post results');
    const key = req.params.key;
    const task = /^[0-9a-f]{32}$/.test(key) ? await ports.store.getTask(key) : undefined;
    if (task === undefined) throw taskNotFound(key);
    const body = expectObject(
      await readJson(req, ports.settings.maxJsonBytes, 'result request'),
      'result request',
    );
    const { attempt, result } = body;
    if (!Number.isSafeInteger(attempt) || (attempt as number) < 1) {
      throw validationError('result request', [
        { path: '/attempt', message: 'must be the attempt number of the assignment (1 or more)' },
      ]);
    }
    if (result === undefined) {
      throw validationError('result request', [
        { path: '/result', message: 'is missing: send {"attempt": n, "result": {...}}' },
      ]);
    }
    const outcome = await postResult(ports, principal, {
      key,
      attempt: attempt as number,
      result,
      task,
    });
    sendJson(res, outcome.outcome === 'stored' ? 201 : 200, resultView(outcome.result));
  });

  router.delete('/tasks/:key/result', async (req, res) => {
    const principal = requirePrincipal(res);
    const task = await visibleTask(ports, principal, req.params.key);
    if (!mayDeleteTask(principal, task)) {
      throw new KolejkaError('KOLEJKA_FORBIDDEN', 'Only the owner or a manager deletes results');
    }
    if (!(await ports.store.deleteResult(task.key, ports.clock()))) throw noResult(task);
    ports.logger.info('result deleted', { task: task.key, by: principal.username });
    res.status(204).end();
  });
}

const PATHS: OpenApiPaths = {
  '/api/v1/tasks/{key}/result': {
    parameters: [doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN)],
    get: {
      tags: ['results'],
      operationId: 'getResult',
      summary: "Read a task's result (owner, inspectors, managers, admins)",
      description:
        'While there is no result: 404 with `details.state` (the task state), so a poller knows whether to keep waiting. Result files name blob hashes the owner may download.',
      responses: { '200': doc.json(doc.ref('Result')), ...doc.errors(401, 403, 404) },
    },
    put: {
      tags: ['results'],
      operationId: 'putResult',
      summary: 'Post the result of an assignment (processors)',
      description:
        'Fenced by `attempt`: a stale attempt gets 409; resending the identical result gets 200; a different second result gets 409. Result files must name blobs the poster may read; the task owner then holds references to them.',
      requestBody: doc.body(doc.ref('ResultRequest')),
      responses: {
        '201': doc.json(doc.ref('Result'), 'Stored; the task is finished'),
        '200': doc.json(doc.ref('Result'), 'The same result was stored before'),
        ...doc.errors(400, 401, 403, 404, 409, 413, 415),
      },
    },
    delete: {
      tags: ['results'],
      operationId: 'deleteResult',
      summary: 'Delete the result (owner, managers, admins); the task is queued to run again',
      responses: { '204': doc.empty('Deleted'), ...doc.errors(401, 403, 404) },
    },
  },
};
