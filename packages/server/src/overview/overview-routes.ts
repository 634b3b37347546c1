import type { Router } from 'express';
import { hasPermission, requirePrincipal, type Principal } from '../accounts/principal.js';
import type { ForemenRegistry } from '../foremen/foremen-registry.js';
import { sendJson } from '../http/errors.js';
import type { RouteModule } from '../http/route-module.js';
import { TASK_STATES, type Store, type TaskState } from '../store/store.js';
import { foremenFigures, type ForemenFigures } from './foremen-figures.js';
import { OVERVIEW_PATHS } from './overview-openapi.js';
import {
  queueWaitOf,
  stateCounts,
  throughputOf,
  windowStart,
  type QueueWait,
  type Throughput,
} from './task-figures.js';

export interface OverviewPorts {
  store: Store;
  clock: () => Date;
  foremen: Pick<ForemenRegistry, 'local'>;
}

/** `GET /api/v1/overview`: the dashboard's first screen in one request. */
export interface Overview {
  at: string;
  tasks: { counts: Record<TaskState, number> };
  queueWait: QueueWait;
  throughput: Throughput;
  foremen: ForemenFigures;
  queue: { paused: boolean; pausedTags: string[] };
}

/** Whose tasks the figures cover: everybody's for those who may read every task. */
function ownerFor(principal: Principal): string | undefined {
  return hasPermission(principal, 'task:read-any') ? undefined : principal.username;
}

async function countsOf(
  store: Store,
  owner: string | undefined,
): Promise<Record<TaskState, number>> {
  if (owner === undefined) return stateCounts(await store.countTasksByState());
  const counts = await Promise.all(TASK_STATES.map((state) => store.countTasksOf(owner, [state])));
  return stateCounts(Object.fromEntries(TASK_STATES.map((state, i) => [state, counts[i] ?? 0])));
}

export async function overviewOf(ports: OverviewPorts, principal: Principal): Promise<Overview> {
  const now = ports.clock();
  const owner = ownerFor(principal);
  const [counts, activity, foremen, pauses] = await Promise.all([
    countsOf(ports.store, owner),
    ports.store.taskActivity(windowStart(now), owner),
    foremenFigures(ports),
    ports.store.listQueuePauses(),
  ]);
  return {
    at: now.toISOString(),
    tasks: { counts },
    queueWait: queueWaitOf(activity),
    throughput: throughputOf(activity),
    foremen,
    queue: {
      paused: pauses.some((pause) => pause.tag === undefined),
      pausedTags: pauses.flatMap((pause) => (pause.tag === undefined ? [] : [pause.tag])),
    },
  };
}

/** The overview, for anyone signed in. */
export function overviewRoutes(ports: OverviewPorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: OVERVIEW_PATHS };
}

function register(router: Router, ports: OverviewPorts): void {
  router.get('/overview', async (_req, res) => {
    const principal = requirePrincipal(res);
    sendJson(res, 200, await overviewOf(ports, principal));
  });
}
