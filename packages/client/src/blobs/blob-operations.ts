import path from 'node:path';
import type { ClientContext } from '../client-context.js';
import { checkBlobHash } from '../resources.js';
import { downloadBlob, uploadFile, type TransferOptions } from './blob-transfer.js';
import { hashFile } from './hash-file.js';

export interface PutBlobResult {
  /** SHA-256 of the content: the name to use in a task's or result's `files`. */
  hash: string;
  size: number;
  /** False when the caller already held the blob, so no byte was sent. */
  isUploaded: boolean;
}

/** Whether the caller may already read the blob (`HEAD /api/v1/blobs/{hash}`). */
export async function hasBlob(
  ctx: ClientContext,
  hash: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const reply = await ctx.transport.send({
    method: 'HEAD',
    path: `/api/v1/blobs/${checkBlobHash(hash)}`,
    isIdempotent: true,
    acceptStatuses: [404],
    signal,
  });
  return reply.response.status === 200;
}

/**
 * Uploads a local file as a blob: hashed locally (streamed), then sent only when the
 * server says the caller does not hold it yet, so putting the same file again costs a
 * hash and one HEAD request.
 */
export async function putBlob(
  ctx: ClientContext,
  filePath: string,
  options: TransferOptions = {},
): Promise<PutBlobResult> {
  const blob = await hashFile(filePath, options);
  if (await hasBlob(ctx, blob.hash, options.signal)) {
    ctx.logger.debug('blob already held; not uploading', { file: filePath, hash: blob.hash });
    return { ...blob, isUploaded: false };
  }
  ctx.logger.debug('uploading blob', { file: filePath, hash: blob.hash, bytes: blob.size });
  await uploadFile(ctx.transport, filePath, blob, options);
  return { ...blob, isUploaded: true };
}

/** Downloads a blob to `target` (temporary file, hash check, rename). */
export async function getBlob(
  ctx: ClientContext,
  hash: string,
  target: string,
  options: TransferOptions = {},
): Promise<{ hash: string; size: number; path: string }> {
  const resolved = path.resolve(target);
  const { size } = await downloadBlob(ctx.transport, checkBlobHash(hash), resolved, {
    ...options,
    idleTimeoutMs: ctx.options.idleTimeoutMs,
    logger: ctx.logger,
  });
  return { hash, size, path: resolved };
}

/** Drops the caller's references to a blob (`DELETE /api/v1/blobs/{hash}`). */
export async function deleteBlob(
  ctx: ClientContext,
  hash: string,
  signal?: AbortSignal,
): Promise<void> {
  await ctx.transport.send({
    method: 'DELETE',
    path: `/api/v1/blobs/${checkBlobHash(hash)}`,
    // A repeat after a lost reply would answer 404 for a blob that was just deleted.
    isIdempotent: false,
    signal,
  });
}
