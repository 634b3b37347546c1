import type { Router } from 'express';
import { KolejkaError, validationError } from '@kolejka/spec';
import { hasPermission, requirePrincipal } from '../accounts/principal.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import { taskNotFound, visibleTask } from '../tasks/task-access.js';
import { MAX_PRIORITY } from '../tasks/task-routes.js';
import { taskView } from '../tasks/task-view.js';
import type { QueueControlPorts } from './queue-control-ports.js';

/** `PATCH /tasks/KEY {"priority": N}`: a waiting or queued task's new priority. */
export function registerTaskPriorityRoutes(router: Router, ports: QueueControlPorts): void {
  router.patch('/tasks/:key', async (req, res) => {
    const principal = requirePrincipal(res);
    const body = expectObject(
      await readJson(req, ports.settings.maxJsonBytes, 'task change'),
      'task change',
    );
    const unknown = Object.keys(body).filter((name) => name !== 'priority');
    if (unknown.length > 0 || body.priority === undefined)
      throw validationError('task change', [
        unknown.length > 0
          ? { path: `/${unknown[0]}`, message: 'cannot be changed: only priority can' }
          : { path: '/priority', message: 'is missing: send {"priority": N}' },
      ]);
    const priority = body.priority;
    if (
      typeof priority !== 'number' ||
      !Number.isInteger(priority) ||
      Math.abs(priority) > MAX_PRIORITY
    )
      throw validationError('task change', [
        {
          path: '/priority',
          message: `must be a whole number from -${MAX_PRIORITY} to ${MAX_PRIORITY}`,
        },
      ]);
    const task = await visibleTask(ports, principal, req.params.key);
    const isManager = hasPermission(principal, 'queue:manage');
    if (!isManager && task.owner !== principal.username)
      throw new KolejkaError(
        'KOLEJKA_FORBIDDEN',
        'Only the owner or a manager changes a task priority',
      );
    const ceiling = ports.settings.maxClientPriority;
    if (!isManager && priority > ceiling)
      throw new KolejkaError(
        'KOLEJKA_FORBIDDEN',
        `Priority ${priority} is above your ceiling ${ceiling} (the server's maxClientPriority); a manager may set it`,
        { details: { path: '/priority', maxClientPriority: ceiling } },
      );
    const changed = await ports.store.setTaskPriority(task.key, priority, ports.clock());
    if (changed === undefined) {
      const now = await ports.store.getTask(task.key);
      if (now === undefined) throw taskNotFound(task.key);
      throw new KolejkaError(
        'KOLEJKA_CONFLICT',
        `Task ${task.key} is ${now.state}; only a waiting or queued task's priority can change`,
        { details: { state: now.state } },
      );
    }
    ports.logger.info('task priority changed', {
      task: task.key,
      priority,
      by: principal.username,
    });
    sendJson(res, 200, taskView(changed));
  });
}
