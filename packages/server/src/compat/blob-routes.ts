import type { Router } from 'express';
import type { Logger } from '@kolejka/spec';
import { hasPermission, requirePermission, requirePrincipal } from '../accounts/principal.js';
import { newUuidHex } from '../accounts/tokens.js';
import { readableBlob, readableReference } from '../blobs/blob-access.js';
import { sendBlob } from '../blobs/blob-reply.js';
import { isBlobHash } from '../store/blob-hash.js';
import { uploadBlob, type BlobUploadPorts } from '../blobs/blob-upload.js';
import { HASH_PATTERN, doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import type { BlobRecord, ReferenceRecord } from '../store/store.js';
import { djangoTime, forbidden, notFound, sendOk } from './envelope.js';

export interface CompatBlobPorts extends BlobUploadPorts {
  logger: Logger;
}

function referenceJson(reference: ReferenceRecord, blob: BlobRecord): Record<string, unknown> {
  return {
    key: reference.key,
    blob: blob.hash,
    size: blob.size,
    time_create: djangoTime(reference.createdAt),
    time_access: djangoTime(reference.accessedAt),
  };
}

/** A reference addressed by a hash (tasks store hashes): the blob stands for it. */
function hashAsReference(blob: BlobRecord): Record<string, unknown> {
  return {
    key: blob.hash,
    blob: blob.hash,
    size: blob.size,
    time_create: djangoTime(blob.createdAt),
    time_access: djangoTime(blob.createdAt),
  };
}

async function newReference(
  ports: CompatBlobPorts,
  owner: string,
  blob: BlobRecord,
): Promise<ReferenceRecord> {
  const now = ports.clock();
  const reference: ReferenceRecord = {
    key: newUuidHex(),
    hash: blob.hash,
    owner,
    isPublic: false,
    createdAt: now,
    accessedAt: now,
  };
  await ports.store.createReference(reference);
  return reference;
}

const missing = (what: string): Error => notFound(`${what} does not exist`);

/**
 * `/blob/reference/[<key>/]` accepts reference keys (32 hex) and, because tasks and
 * results are stored with hashes, blob hashes (64 hex) the caller may read.
 */
function registerReferenceRoutes(router: Router, ports: CompatBlobPorts): void {
  router.post('/blob/reference/', async (req, res) => {
    const principal = requirePermission(res, 'blob:upload', 'upload blobs');
    const { blob } = await uploadBlob(ports, req);
    const reference = await newReference(ports, principal.username, blob);
    sendOk(res, { reference: referenceJson(reference, blob) });
  });

  router.post('/blob/reference/:key/', () => {
    throw forbidden('A reference is created by POST /blob/reference/');
  });

  router.get('/blob/reference/:key/', async (req, res) => {
    const { key } = req.params;
    const principal = requirePrincipal(res);
    if (isBlobHash(key)) {
      const blob = await readableBlob(ports, principal, key);
      if (blob === undefined) throw missing('Blob');
      await sendBlob(ports, req, res, blob, { isRangeAllowed: false });
      return;
    }
    const reference = await readableReference(ports, principal, key);
    const blob = reference && (await ports.store.getBlob(reference.hash));
    if (reference === undefined || blob === undefined) throw missing('Reference');
    await ports.store.touchReference(reference.key, ports.clock());
    await sendBlob(ports, req, res, blob, { isRangeAllowed: false });
  });

  router.put('/blob/reference/:key/', async (req, res) => {
    const { key } = req.params;
    const principal = requirePrincipal(res);
    if (isBlobHash(key)) {
      const blob = await readableBlob(ports, principal, key);
      if (blob === undefined) throw missing('Blob');
      sendOk(res, { reference: hashAsReference(blob) });
      return;
    }
    const reference = await readableReference(ports, principal, key);
    const blob = reference && (await ports.store.getBlob(reference.hash));
    if (reference === undefined || blob === undefined) throw missing('Reference');
    sendOk(res, { reference: referenceJson(reference, blob) });
  });

  router.delete('/blob/reference/:key/', async (req, res) => {
    const { key } = req.params;
    const principal = requirePrincipal(res);
    if (isBlobHash(key)) {
      // By hash: the caller's own references to it.
      if (!(await ports.store.hasReference(principal.username, key))) throw missing('Blob');
      while (await ports.store.hasReference(principal.username, key)) {
        const own = await ports.store.ensureReference(
          principal.username,
          key,
          ports.clock(),
          newUuidHex(),
        );
        await ports.store.deleteReference(own.key);
      }
      sendOk(res, { deleted: true });
      return;
    }
    const reference = await readableReference(ports, principal, key);
    if (reference === undefined) throw missing('Reference');
    if (reference.owner !== principal.username && !hasPermission(principal, 'blob:delete-any')) {
      throw forbidden('Only the owner or a manager deletes a reference');
    }
    await ports.store.deleteReference(reference.key);
    sendOk(res, { deleted: true });
  });
}

/** `/blob/blob/<hash>/`: dedup (POST makes a reference without upload), read, delete. */
function registerBlobRoutes(router: Router, ports: CompatBlobPorts): void {
  router.post('/blob/blob/:hash/', async (req, res) => {
    const principal = requirePrincipal(res);
    // Only a blob the caller may already read: dedup must not turn a known hash into access.
    const blob = await readableBlob(ports, principal, req.params.hash);
    if (blob === undefined) throw missing('Blob');
    const reference = await newReference(ports, principal.username, blob);
    sendOk(res, { reference: referenceJson(reference, blob) });
  });

  router.get('/blob/blob/:hash/', async (req, res) => {
    const blob = await readableBlob(ports, requirePrincipal(res), req.params.hash);
    if (blob === undefined) throw missing('Blob');
    await sendBlob(ports, req, res, blob, { isRangeAllowed: false });
  });

  router.put('/blob/blob/:hash/', async (req, res) => {
    const blob = await readableBlob(ports, requirePrincipal(res), req.params.hash);
    if (blob === undefined) throw missing('Blob');
    sendOk(res, {
      blob: {
        key: blob.hash,
        size: blob.size,
        time_create: djangoTime(blob.createdAt),
        time_access: djangoTime(blob.createdAt),
      },
    });
  });

  router.delete('/blob/blob/:hash/', async (req, res) => {
    const principal = requirePrincipal(res);
    const hash = req.params.hash;
    const blob = await readableBlob(ports, principal, hash);
    if (blob === undefined) throw missing('Blob');
    if (!hasPermission(principal, 'blob:delete-any')) {
      throw forbidden('Only managers delete blobs');
    }
    const removed = await ports.store.deleteReferencesToBlob(hash);
    // The bytes are left to gc (see the v1 blob delete).
    await ports.store.removeBlobIfUnreferenced(hash);
    ports.logger.info('blob deleted', { hash, by: principal.username, references: removed });
    sendOk(res, { deleted: true });
  });
}

const keyParameter = doc.path(
  'key',
  'A reference key (32 hex) or a blob hash (64 hex) the caller may read',
  '^([0-9a-f]{32}|[0-9a-f]{64})$',
);
const hashParameter = doc.path('hash', 'SHA-256 of the content', HASH_PATTERN);
const envelope = { '200': doc.json(doc.ref('CompatEnvelope')) };
const content = { '200': doc.binary('The content') };
const refused = { '403': doc.empty('Not allowed'), '404': doc.empty('Missing or not readable') };
const operation = (
  id: string,
  summary: string,
  responses: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  tags: ['compat'],
  operationId: id,
  summary: `Original API: ${summary}`,
  security: [{ session: [] }],
  ...extra,
  responses: { ...responses, ...refused },
});

export function compatBlobRoutes(ports: CompatBlobPorts): RouteModule {
  return { api: 'compat', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: CompatBlobPorts): void {
  registerReferenceRoutes(router, ports);
  registerBlobRoutes(router, ports);
}

const PATHS: OpenApiPaths = {
  '/blob/reference/': {
    post: operation('compatUploadReference', 'upload raw bytes → a new reference', envelope, {
      requestBody: doc.binaryBody('The content, raw (any or no Content-Type)'),
    }),
  },
  '/blob/reference/{key}/': {
    parameters: [keyParameter],
    get: operation('compatGetReference', 'the content', content),
    head: operation('compatHeadReference', 'whether the content is readable', {
      '200': doc.empty('Readable'),
    }),
    put: operation('compatQueryReference', 'reference metadata', envelope),
    delete: operation('compatDeleteReference', 'delete the reference', envelope),
    post: operation('compatPostReferenceKey', 'always 403', {}),
  },
  '/blob/blob/{hash}/': {
    parameters: [hashParameter],
    post: operation(
      'compatReferenceBlob',
      'a new reference to a blob the caller may read, without upload',
      envelope,
    ),
    get: operation('compatGetBlob', 'the content', content),
    head: operation('compatHeadBlob', 'whether the blob is readable', {
      '200': doc.empty('Readable'),
    }),
    put: operation('compatQueryBlob', 'blob metadata', envelope),
    delete: operation(
      'compatDeleteBlob',
      'delete the blob and its references (managers)',
      envelope,
    ),
  },
};
