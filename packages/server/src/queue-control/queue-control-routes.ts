import type { RouteModule } from '../http/route-module.js';
import type { QueueControlPorts } from './queue-control-ports.js';
import { QUEUE_CONTROL_PATHS } from './queue-control-openapi.js';
import { registerQueuePauseRoutes } from './queue-pause-routes.js';
import { registerTaskMoveRoutes } from './task-move-routes.js';
import { registerTaskPriorityRoutes } from './task-priority-routes.js';
import { registerUserPolicyRoutes } from './user-policy-routes.js';

/** Queue control (issue 12): pauses, task priority changes, users' weights and limits. */
export function queueControlRoutes(ports: QueueControlPorts): RouteModule {
  return {
    api: 'v1',
    register: (router) => {
      registerQueuePauseRoutes(router, ports);
      registerTaskPriorityRoutes(router, ports);
      registerTaskMoveRoutes(router, ports);
      registerUserPolicyRoutes(router, ports);
    },
    paths: QUEUE_CONTROL_PATHS,
  };
}
