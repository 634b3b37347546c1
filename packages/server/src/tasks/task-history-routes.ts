import type { Router } from 'express';
import { requirePrincipal } from '../accounts/principal.js';
import { sendJson } from '../http/errors.js';
import type { RouteModule } from '../http/route-module.js';
import { type TaskAccessPorts, visibleTask } from './task-access.js';
import { taskHistoryView } from './task-history.js';
import { TASK_HISTORY_PATHS } from './task-history-openapi.js';

/** `GET /api/v1/tasks/{key}/history`: a task's states and attempts, from the event log. */
export function taskHistoryRoutes(ports: TaskAccessPorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: TASK_HISTORY_PATHS };
}

function register(router: Router, ports: TaskAccessPorts): void {
  router.get('/tasks/:key/history', async (req, res) => {
    // Whoever may read the task may read its history (and no one else learns it exists).
    const task = await visibleTask(ports, requirePrincipal(res), req.params.key);
    sendJson(res, 200, taskHistoryView(await ports.store.taskHistory(task.key)));
  });
}
