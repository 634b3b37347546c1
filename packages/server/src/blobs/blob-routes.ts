import type { Response, Router } from 'express';
import { KolejkaError, type Logger } from '@kolejka/spec';
import { hasPermission, requirePermission, requirePrincipal } from '../accounts/principal.js';
import { newUuidHex } from '../accounts/tokens.js';
import { sendJson } from '../http/errors.js';
import { HASH_PATTERN, doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import type { BlobRecord } from '../store/store.js';
import { readableBlob } from './blob-access.js';
import { sendBlob } from './blob-reply.js';
import { isBlobHash } from '../store/blob-hash.js';
import { uploadBlob, type BlobUploadPorts, type UploadedBlob } from './blob-upload.js';

export interface BlobRoutePorts extends BlobUploadPorts {
  logger: Logger;
}

function blobView(blob: BlobRecord): { hash: string; size: number; createdAt: string } {
  return { hash: blob.hash, size: blob.size, createdAt: blob.createdAt.toISOString() };
}

function checkHash(hash: string): string {
  if (!isBlobHash(hash)) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `${JSON.stringify(hash.slice(0, 80))} is not a SHA-256 hash: give 64 lowercase hex digits`,
      { details: { issues: [{ path: '/hash', message: 'must be 64 lowercase hex digits' }] } },
    );
  }
  return hash;
}

const blobNotFound = (hash: string): KolejkaError =>
  new KolejkaError('KOLEJKA_NOT_FOUND', `Blob ${hash} does not exist`, {
    details: { hash },
  });

async function reply(
  ports: BlobRoutePorts,
  res: Response,
  username: string,
  uploaded: UploadedBlob,
) {
  await ports.store.ensureReference(username, uploaded.blob.hash, ports.clock(), newUuidHex());
  sendJson(res, uploaded.isNew ? 201 : 200, blobView(uploaded.blob));
}

/** Blobs by SHA-256: streamed upload (verified or computed), HEAD, ranged GET, delete. */
export function blobRoutes(ports: BlobRoutePorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: BlobRoutePorts): void {
  router.post('/blobs', async (req, res) => {
    const principal = requirePermission(res, 'blob:upload', 'upload blobs');
    await reply(ports, res, principal.username, await uploadBlob(ports, req));
  });

  router.put('/blobs/:hash', async (req, res) => {
    const hash = checkHash(req.params.hash);
    const principal = requirePermission(res, 'blob:upload', 'upload blobs');
    await reply(ports, res, principal.username, await uploadBlob(ports, req, hash));
  });

  // Express answers HEAD with the GET route; sendBlob leaves the body out.
  router.get('/blobs/:hash', async (req, res) => {
    const hash = checkHash(req.params.hash);
    const blob = await readableBlob(ports, requirePrincipal(res), hash);
    if (blob === undefined) throw blobNotFound(hash);
    await sendBlob(ports, req, res, blob, { isRangeAllowed: true });
  });

  router.delete('/blobs/:hash', async (req, res) => {
    const hash = checkHash(req.params.hash);
    const principal = requirePrincipal(res);
    if (hasPermission(principal, 'blob:delete-any')) {
      if ((await ports.store.getBlob(hash)) === undefined) throw blobNotFound(hash);
      const removed = await ports.store.deleteReferencesToBlob(hash);
      // Tasks and results still naming the blob keep its record. The bytes are left to gc
      // (after its grace period): deleting them here could race an upload deduplicating
      // against them right now.
      await ports.store.removeBlobIfUnreferenced(hash);
      ports.logger.info('blob deleted', { hash, by: principal.username, references: removed });
    } else {
      if (!(await ports.store.hasReference(principal.username, hash))) throw blobNotFound(hash);
      // A user may hold several references (the original API makes one per upload).
      while (await ports.store.hasReference(principal.username, hash)) {
        const reference = await ports.store.ensureReference(
          principal.username,
          hash,
          ports.clock(),
          newUuidHex(),
        );
        await ports.store.deleteReference(reference.key);
      }
    }
    res.status(204).end();
  });
}

const PATHS: OpenApiPaths = {
  '/api/v1/blobs': {
    post: {
      tags: ['blobs'],
      operationId: 'uploadBlob',
      summary: 'Upload content; the server computes its SHA-256',
      description:
        'The body is the raw content (any Content-Type), streamed. The caller gets a reference to the blob, so it may name it in tasks and read it back.',
      requestBody: doc.binaryBody('The content'),
      responses: {
        '201': doc.json(doc.ref('Blob'), 'Stored (new content)'),
        '200': doc.json(doc.ref('Blob'), 'Already stored; the caller now holds it'),
        ...doc.errors(401, 403, 413),
      },
    },
  },
  '/api/v1/blobs/{hash}': {
    parameters: [doc.path('hash', 'SHA-256 of the content, 64 lowercase hex', HASH_PATTERN)],
    put: {
      tags: ['blobs'],
      operationId: 'putBlob',
      summary: 'Upload content under its SHA-256; refused unless the content hashes to it',
      requestBody: doc.binaryBody('The content'),
      responses: {
        '201': doc.json(doc.ref('Blob'), 'Stored (new content)'),
        '200': doc.json(doc.ref('Blob'), 'Already stored; the caller now holds it'),
        ...doc.errors(400, 401, 403, 413),
      },
    },
    get: {
      tags: ['blobs'],
      operationId: 'getBlob',
      summary: 'Download content (a single `Range: bytes=…` gives 206)',
      description:
        'Readable when the caller holds a reference to the hash, or when its role reads everything (processor, inspector, manager, admin). Any other hash answers the same 404 as a missing one.',
      parameters: [
        {
          name: 'Range',
          in: 'header',
          required: false,
          schema: { type: 'string', examples: ['bytes=0-1023'] },
        },
      ],
      responses: {
        '200': doc.binary('The content'),
        '206': doc.binary('The requested range'),
        ...doc.errors(400, 401, 404, 416),
      },
    },
    head: {
      tags: ['blobs'],
      operationId: 'headBlob',
      summary: 'Whether the caller may read the blob (200 with Content-Length) or not (404)',
      responses: { '200': doc.empty('Readable'), '404': doc.empty('Missing or not readable') },
    },
    delete: {
      tags: ['blobs'],
      operationId: 'deleteBlob',
      summary:
        "Drop the caller's references to the blob (managers and admins: everybody's, and the content once nothing names it)",
      responses: { '204': doc.empty('Deleted'), ...doc.errors(400, 401, 404) },
    },
  },
};
