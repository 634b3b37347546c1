import type { Request } from 'express';
import { KolejkaError, isKolejkaError } from '@kolejka/spec';
import { checkDeclaredLength } from '../http/body.js';
import type { ServerSettings } from '../server-settings.js';
import type { BlobRecord, Store } from '../store/store.js';
import type { BlobStore } from './blob-store.js';

/** What an upload writes to: the content store, then the blob record. */
export interface BlobUploadPorts {
  store: Store;
  blobs: BlobStore;
  clock: () => Date;
  settings: Pick<ServerSettings, 'maxBlobBytes'>;
}

export interface UploadedBlob {
  blob: BlobRecord;
  /** False when the content was stored before (the upload only proved possession). */
  isNew: boolean;
}

/**
 * Streams a request body into the blob store (never whole in memory), then records the
 * blob. The bytes are written before the record, and the record before any reference, so
 * a crash in between leaves at most unreferenced content for `gc`.
 */
export async function uploadBlob(
  ports: BlobUploadPorts,
  req: Request,
  expectedHash?: string,
): Promise<UploadedBlob> {
  const maxBytes = ports.settings.maxBlobBytes;
  checkDeclaredLength(req, maxBytes, 'blob');
  const controller = new AbortController();
  const onClose = (): void => {
    if (!req.complete) controller.abort(new KolejkaError('KOLEJKA_CANCELLED', 'Upload cut off'));
  };
  req.on('close', onClose);
  try {
    const stored = await ports.blobs.put(req, {
      maxBytes,
      signal: controller.signal,
      ...(expectedHash === undefined ? {} : { expectedHash }),
    });
    const blob = await ports.store.putBlob({
      hash: stored.hash,
      size: stored.size,
      createdAt: ports.clock(),
    });
    return { blob, isNew: stored.isNew };
  } catch (error) {
    if (isKolejkaError(error)) throw error;
    throw new KolejkaError('KOLEJKA_INTERNAL', 'The blob could not be stored', { cause: error });
  } finally {
    req.off('close', onClose);
  }
}
