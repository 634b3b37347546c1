import type { Router } from 'express';
import { hasPermission, requirePermission, requirePrincipal } from '../accounts/principal.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import type { ServerSettings } from '../server-settings.js';
import type { ScheduleRecord } from '../store/store.js';
import type { SubmitPorts } from '../tasks/task-submission.js';
import { assertMayChangeSchedule, scheduleNotFound, visibleSchedule } from './schedule-access.js';
import { newScheduleFromRequest, scheduleChangesFromRequest } from './schedule-request.js';
import { scheduleView } from './schedule-view.js';

export interface ScheduleRoutePorts extends SubmitPorts {
  settings: SubmitPorts['settings'] & Pick<ServerSettings, 'maxJsonBytes'>;
  /** Told when this process changed a schedule, so its runner re-arms at once. */
  onScheduleChanged: () => void;
}

/** Cron schedules: create, list, read, pause/resume (PATCH), remove. */
export function scheduleRoutes(ports: ScheduleRoutePorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

const SCHEDULE_ID_PATTERN = '^[0-9a-f]{32}$';

function register(router: Router, ports: ScheduleRoutePorts): void {
  const view = async (schedule: ScheduleRecord): Promise<unknown> => {
    const last =
      schedule.lastTaskKey === undefined
        ? undefined
        : await ports.store.getTask(schedule.lastTaskKey);
    return scheduleView(schedule, ports.clock(), last?.state);
  };

  router.post('/schedules', async (req, res) => {
    const principal = requirePermission(res, 'task:submit', 'create schedules');
    const body = expectObject(
      await readJson(req, ports.settings.maxJsonBytes, 'schedule request'),
      'schedule request',
    );
    const schedule = await newScheduleFromRequest(ports, principal, body);
    await ports.store.createSchedule(schedule);
    ports.onScheduleChanged();
    ports.logger.info('schedule created', {
      schedule: schedule.id,
      owner: schedule.owner,
      cron: schedule.cron,
      timezone: schedule.timezone,
    });
    res.setHeader('Location', `${req.baseUrl}/schedules/${schedule.id}`);
    sendJson(res, 201, await view(schedule));
  });

  router.get('/schedules', async (req, res) => {
    const principal = requirePrincipal(res);
    const mayReadAll = hasPermission(principal, 'task:read-any');
    const owner = typeof req.query.owner === 'string' ? req.query.owner : undefined;
    const schedules = await ports.store.listSchedules(
      mayReadAll ? (owner === undefined ? {} : { owner }) : { owner: principal.username },
    );
    sendJson(res, 200, { items: await Promise.all(schedules.map(view)) });
  });

  router.get('/schedules/:id', async (req, res) => {
    const schedule = await visibleSchedule(ports, requirePrincipal(res), req.params.id);
    sendJson(res, 200, await view(schedule));
  });

  router.patch('/schedules/:id', async (req, res) => {
    const principal = requirePrincipal(res);
    const schedule = await visibleSchedule(ports, principal, req.params.id);
    assertMayChangeSchedule(principal, schedule);
    const changes = scheduleChangesFromRequest(
      expectObject(
        await readJson(req, ports.settings.maxJsonBytes, 'schedule change'),
        'schedule change',
      ),
    );
    const updated = await ports.store.updateSchedule(schedule.id, changes, ports.clock());
    if (updated === undefined) throw scheduleNotFound(schedule.id);
    ports.onScheduleChanged();
    ports.logger.info('schedule changed', {
      schedule: schedule.id,
      by: principal.username,
      ...changes,
    });
    sendJson(res, 200, await view(updated));
  });

  router.delete('/schedules/:id', async (req, res) => {
    const principal = requirePrincipal(res);
    const schedule = await visibleSchedule(ports, principal, req.params.id);
    assertMayChangeSchedule(principal, schedule);
    if (!(await ports.store.deleteSchedule(schedule.id))) throw scheduleNotFound(schedule.id);
    ports.onScheduleChanged();
    ports.logger.info('schedule removed', { schedule: schedule.id, by: principal.username });
    res.status(204).end();
  });
}

const idParameter = doc.path('id', 'Schedule id (uuid4, 32 hex)', SCHEDULE_ID_PATTERN);

const PATHS: OpenApiPaths = {
  '/api/v1/schedules': {
    post: {
      tags: ['schedules'],
      operationId: 'createSchedule',
      summary: 'Create a cron schedule that submits a task at every tick',
      description:
        "The cron expression has 5 fields (minute hour day-of-month month day-of-week) or is a nickname (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`), read in `timezone` (IANA, default UTC). The task is checked as `POST /api/v1/tasks` checks it (files name blobs the caller may read; server limits apply). Every firing submits it with `priority` and records the schedule in the task. With overlap `skip` (the default) a tick whose previous task has not ended submits nothing. Each tick fires once however many server processes run; a tick missed while no server ran fires once at start when it is within the server's catch-up window.",
      requestBody: doc.body(doc.ref('ScheduleRequest')),
      responses: {
        '201': doc.json(doc.ref('Schedule'), 'Created'),
        ...doc.errors(400, 401, 403, 413, 415),
      },
    },
    get: {
      tags: ['schedules'],
      operationId: 'listSchedules',
      summary: 'List schedules, oldest first (own; inspectors, managers, admins: all)',
      parameters: [
        doc.query('owner', 'Only schedules of this user (privileged roles)', { type: 'string' }),
      ],
      responses: {
        '200': doc.json(doc.ref('ScheduleList'), 'The schedules'),
        ...doc.errors(401),
      },
    },
  },
  '/api/v1/schedules/{id}': {
    parameters: [idParameter],
    get: {
      tags: ['schedules'],
      operationId: 'getSchedule',
      summary: 'Read a schedule with its next firing time and last task',
      responses: { '200': doc.json(doc.ref('Schedule')), ...doc.errors(401, 404) },
    },
    patch: {
      tags: ['schedules'],
      operationId: 'updateSchedule',
      summary: 'Pause or resume a schedule, or change its priority (owner, managers, admins)',
      description:
        'Resuming does not fire the ticks that passed while the schedule was paused: the next tick after the resume does.',
      requestBody: doc.body(doc.ref('ScheduleChange')),
      responses: {
        '200': doc.json(doc.ref('Schedule'), 'Changed'),
        ...doc.errors(400, 401, 403, 404, 415),
      },
    },
    delete: {
      tags: ['schedules'],
      operationId: 'deleteSchedule',
      summary: 'Remove a schedule (owner, managers, admins); its tasks stay',
      responses: { '204': doc.empty('Removed'), ...doc.errors(401, 403, 404) },
    },
  },
};
