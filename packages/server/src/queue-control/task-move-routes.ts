import type { Router } from 'express';
import { KolejkaError, validationError } from '@kolejka/spec';
import { hasPermission, requirePrincipal } from '../accounts/principal.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import { TASK_KEY_PATTERN } from '../http/route-module.js';
import type { TaskPlacement } from '../store/store.js';
import { taskNotFound, visibleTask } from '../tasks/task-access.js';
import { taskView } from '../tasks/task-view.js';
import type { QueueControlPorts } from './queue-control-ports.js';

function parsePlacement(body: Record<string, unknown>): TaskPlacement {
  const what = 'task move';
  const unknown = Object.keys(body).find((name) => name !== 'to' && name !== 'before');
  if (unknown !== undefined || (body.to === undefined) === (body.before === undefined))
    throw validationError(what, [
      {
        path: unknown === undefined ? '' : `/${unknown}`,
        message: 'send exactly one of {"to": "front"|"back"} or {"before": KEY}',
      },
    ]);
  if (body.to !== undefined) {
    if (body.to !== 'front' && body.to !== 'back')
      throw validationError(what, [{ path: '/to', message: 'must be "front" or "back"' }]);
    return { to: body.to };
  }
  if (typeof body.before !== 'string' || !new RegExp(TASK_KEY_PATTERN).test(body.before))
    throw validationError(what, [{ path: '/before', message: 'must be a task key (32 hex)' }]);
  return { before: body.before };
}

/**
 * `POST /tasks/KEY/move`: reorders a waiting or queued task within its priority. `before`
 * a task of another priority is refused (409) rather than adopting that priority: a move
 * never changes what a priority change is for, and the owner's ceiling stays in one place.
 */
export function registerTaskMoveRoutes(router: Router, ports: QueueControlPorts): void {
  router.post('/tasks/:key/move', async (req, res) => {
    const principal = requirePrincipal(res);
    const placement = parsePlacement(
      expectObject(await readJson(req, ports.settings.maxJsonBytes, 'task move'), 'task move'),
    );
    const task = await visibleTask(ports, principal, req.params.key);
    const isManager = hasPermission(principal, 'queue:manage');
    if (!isManager && task.owner !== principal.username)
      throw new KolejkaError('KOLEJKA_FORBIDDEN', 'Only the owner or a manager moves a task');
    if ('before' in placement) {
      // The other task must be one the caller sees (owners move among their own tasks).
      const other = await ports.store.getTask(placement.before);
      if (other === undefined || (!isManager && other.owner !== principal.username))
        throw validationError('task move', [
          { path: '/before', message: `names no task of yours: ${placement.before}` },
        ]);
    }
    const result = await ports.store.moveTask(task.key, placement, ports.clock());
    switch (result.outcome) {
      case 'moved':
        ports.logger.info('task moved', { task: task.key, by: principal.username });
        sendJson(res, 200, taskView(result.task));
        return;
      case 'not_found':
        throw taskNotFound(task.key);
      case 'before_not_found':
        throw validationError('task move', [{ path: '/before', message: 'names no task' }]);
      case 'wrong_state':
        throw new KolejkaError(
          'KOLEJKA_CONFLICT',
          `Task ${result.key} is ${result.state}; only waiting or queued tasks are moved`,
          { details: { state: result.state } },
        );
      case 'other_priority':
        throw new KolejkaError(
          'KOLEJKA_CONFLICT',
          `Task ${task.key} has priority ${task.priority} and the task to move before has ${result.priority}: a move reorders within one priority (change the priority first)`,
          { details: { priority: result.priority } },
        );
      case 'no_room':
        throw new KolejkaError(
          'KOLEJKA_CONFLICT',
          'No room left at that place after many moves into it: move a neighbour, or to the front or back',
        );
    }
  });
}
