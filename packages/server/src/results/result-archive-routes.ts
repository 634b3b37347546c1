import type { Router } from 'express';
import type { Logger } from '@kolejka/spec';
import { requirePrincipal } from '../accounts/principal.js';
import type { BlobStore } from '../blobs/blob-store.js';
import {
  TASK_KEY_PATTERN,
  doc,
  type OpenApiPaths,
  type RouteModule,
} from '../http/route-module.js';
import type { Store } from '../store/store.js';
import { readableResult } from './readable-result.js';
import { planResultArchive, writeResultArchive } from './result-archive.js';

export interface ResultArchivePorts {
  store: Store;
  blobs: Pick<BlobStore, 'open' | 'size'>;
  logger: Logger;
}

/** A task's result as one download (`.tar.gz`), for browsers that cannot write a directory. */
export function resultArchiveRoutes(ports: ResultArchivePorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: ResultArchivePorts): void {
  router.get('/tasks/:key/result/archive', async (req, res) => {
    const { task, result } = await readableResult(ports, requirePrincipal(res), req.params.key);
    const plan = await planResultArchive(ports.blobs, result);
    res.status(200).set({
      'Content-Type': 'application/gzip',
      'Content-Disposition': `attachment; filename="${task.key}-result.tar.gz"`,
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    try {
      await writeResultArchive(ports.blobs, plan, res);
    } catch (error) {
      // The status is out: all that is left is to cut the reply short, so the client sees
      // a broken archive rather than a complete-looking one.
      ports.logger.warn('result archive cut off', {
        task: task.key,
        error: (error as Error).message,
      });
      res.destroy();
    }
  });
}

const PATHS: OpenApiPaths = {
  '/api/v1/tasks/{key}/result/archive': {
    parameters: [doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN)],
    get: {
      tags: ['results'],
      operationId: 'getResultArchive',
      summary: "Download a task's result as a .tar.gz (owner, inspectors, managers, admins)",
      description:
        'The result directory as `kolejka-client result get` writes it: every result file at its path and `kolejka_result.json` (files listed with `path` and `reference`). Streamed (`Content-Disposition: attachment; filename="<key>-result.tar.gz"`). While there is no result: 404 with `details.state`; a stored result naming a blob that is gone: 409.',
      responses: {
        '200': {
          description: 'The archive',
          content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
        },
        ...doc.errors(401, 403, 404, 409),
      },
    },
  },
};
