import type { Request, Router } from 'express';
import { validationError } from '@kolejka/spec';
import { requirePermission, requirePrincipal } from '../accounts/principal.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import type { QueuePauseRecord } from '../store/store.js';
import type { QueueControlPorts } from './queue-control-ports.js';

/** `{}` or `{"tag": "judge"}`; an absent body (no Content-Type) is `{}`. */
async function readPauseTarget(
  req: Request,
  ports: QueueControlPorts,
  what: string,
): Promise<string | undefined> {
  if (req.headers['content-type'] === undefined) return undefined;
  const body = expectObject(await readJson(req, ports.settings.maxJsonBytes, what), what);
  const tag = body.tag;
  if (tag === undefined || tag === null) return undefined;
  if (typeof tag !== 'string' || tag === '' || tag.length > 256)
    throw validationError(what, [
      { path: '/tag', message: 'must be a non-empty tag name (omit it for the whole queue)' },
    ]);
  return tag;
}

export function pauseView(pause: QueuePauseRecord): Record<string, unknown> {
  return {
    ...(pause.tag === undefined ? {} : { tag: pause.tag }),
    pausedBy: pause.pausedBy,
    pausedAt: pause.pausedAt.toISOString(),
  };
}

async function queueStatus(ports: QueueControlPorts): Promise<Record<string, unknown>> {
  const pauses = await ports.store.listQueuePauses();
  return {
    isPaused: pauses.some((pause) => pause.tag === undefined),
    pausedTags: pauses.flatMap((pause) => (pause.tag === undefined ? [] : [pause.tag])),
    pauses: pauses.map(pauseView),
  };
}

/** Queue pause, resume and status. */
export function registerQueuePauseRoutes(router: Router, ports: QueueControlPorts): void {
  router.get('/queue', async (_req, res) => {
    requirePrincipal(res);
    sendJson(res, 200, await queueStatus(ports));
  });

  router.post('/queue/pause', async (req, res) => {
    const principal = requirePermission(res, 'queue:manage', 'pause the queue');
    const tag = await readPauseTarget(req, ports, 'pause request');
    const isNew = await ports.store.pauseQueue({
      ...(tag === undefined ? {} : { tag }),
      pausedBy: principal.username,
      pausedAt: ports.clock(),
    });
    await ports.scheduler.pauses.refresh();
    if (isNew) ports.logger.info('queue paused', { tag, by: principal.username });
    sendJson(res, 200, await queueStatus(ports));
  });

  router.post('/queue/resume', async (req, res) => {
    const principal = requirePermission(res, 'queue:manage', 'resume the queue');
    const tag = await readPauseTarget(req, ports, 'resume request');
    if (await ports.store.resumeQueue(tag))
      ports.logger.info('queue resumed', { tag, by: principal.username });
    await ports.scheduler.pauses.refresh();
    sendJson(res, 200, await queueStatus(ports));
  });
}
