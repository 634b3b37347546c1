import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { KolejkaError, type Logger } from '@kolejka/spec';
import { abortError } from '../http/abort.js';
import { describeNetworkError } from '../http/network-errors.js';
import type { Transport } from '../http/transport.js';
import { throttled, type ProgressOptions } from '../progress.js';
import type { RemoteBlob } from '../resources.js';
import { localFileError, localWriteError } from '../local-errors.js';

export interface TransferOptions extends ProgressOptions {
  /** Name shown in progress events (the file's name in its task or result). */
  name?: string;
}

// Small enough that the few chunks in flight stay a few MB, large enough for few syscalls.
const CHUNK_BYTES = 256 * 1024;

/**
 * Streams a local file to `PUT /api/v1/blobs/{hash}`. The server refuses the upload
 * unless the bytes hash to `hash`, so a file changed since hashing is never stored wrongly.
 */
export async function uploadFile(
  transport: Transport,
  filePath: string,
  blob: { hash: string; size: number },
  options: TransferOptions = {},
): Promise<RemoteBlob> {
  const name = options.name ?? filePath;
  const progress = throttled(options.onProgress);
  const reply = await transport.json<RemoteBlob>({
    method: 'PUT',
    path: `/api/v1/blobs/${blob.hash}`,
    // Content-addressed: sending the same bytes again stores nothing new.
    isIdempotent: true,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    body: (watchdog) => {
      let localError: KolejkaError | undefined;
      async function* chunks(): AsyncGenerator<Buffer> {
        let bytes = 0;
        try {
          for await (const chunk of createReadStream(filePath, { highWaterMark: CHUNK_BYTES })) {
            bytes += (chunk as Buffer).length;
            watchdog.kick();
            progress?.({ type: 'upload', name, bytes, totalBytes: blob.size, isDone: false });
            yield chunk as Buffer;
          }
        } catch (error) {
          localError = localFileError(filePath, error);
          throw error;
        }
      }
      return {
        body: chunks(),
        length: blob.size,
        localError: () => localError,
      };
    },
  });
  progress?.({ type: 'upload', name, bytes: blob.size, totalBytes: blob.size, isDone: true });
  return reply;
}

/** How many times an interrupted download resumes (with `Range`) before giving up. */
const MAX_RESUMES = 5;

/**
 * Downloads a blob into `target`: streamed into a temporary file beside it, checked
 * against its SHA-256, then renamed into place. An interrupted transfer resumes where it
 * stopped; on failure the partial file is removed and `target` is left as it was.
 */
export async function downloadBlob(
  transport: Transport,
  hash: string,
  target: string,
  options: TransferOptions & { idleTimeoutMs: number; logger: Logger },
): Promise<{ size: number }> {
  const name = options.name ?? target;
  const progress = throttled(options.onProgress);
  const directory = path.dirname(target);
  const temporary = path.join(
    directory,
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.part`,
  );
  let file;
  try {
    await mkdir(directory, { recursive: true });
    file = await open(temporary, 'wx', 0o644);
  } catch (error) {
    throw localWriteError(target, error);
  }
  let isClosed = false;
  try {
    let hasher = createHash('sha256');
    let offset = 0;
    let totalBytes: number | undefined;
    for (let resumes = 0; ; resumes++) {
      const reply = await transport.send({
        method: 'GET',
        path: `/api/v1/blobs/${hash}`,
        isIdempotent: true,
        isStreamed: true,
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      const { response, watchdog } = reply;
      if (offset > 0 && response.status !== 206) {
        // The server sent everything again: start over.
        offset = 0;
        hasher = createHash('sha256');
        await file.truncate(0);
      }
      const length = Number(response.headers.get('content-length') ?? Number.NaN);
      if (Number.isFinite(length)) totalBytes = offset + length;
      watchdog.arm(options.idleTimeoutMs);
      try {
        if (response.body !== null) {
          const reader = response.body.getReader();
          try {
            for (;;) {
              const read = (await reader.read()) as { done: boolean; value?: Uint8Array };
              if (read.done || read.value === undefined) break;
              const bytes = read.value;
              watchdog.kick();
              await file.write(bytes, 0, bytes.length, offset);
              hasher.update(bytes);
              offset += bytes.length;
              progress?.({ type: 'download', name, bytes: offset, totalBytes, isDone: false });
            }
          } finally {
            reader.releaseLock();
          }
        }
        watchdog.disarm();
        break;
      } catch (error) {
        watchdog.disarm();
        if (options.signal?.aborted) throw abortError(options.signal);
        const why = error instanceof KolejkaError ? error.message : describeNetworkError(error);
        if (resumes >= MAX_RESUMES) {
          throw new KolejkaError(
            watchdog.hasFired ? 'KOLEJKA_TIMEOUT' : 'KOLEJKA_UNAVAILABLE',
            `Downloading blob ${hash} failed after ${resumes + 1} tries: ${why}`,
            { cause: error },
          );
        }
        options.logger.info('download interrupted; resuming', { hash, offset, why });
      }
    }
    const actual = hasher.digest('hex');
    if (actual !== hash) {
      throw new KolejkaError(
        'KOLEJKA_INTERNAL',
        `The server sent content for blob ${hash} that hashes to ${actual}; nothing was written`,
      );
    }
    await file.close();
    isClosed = true;
    try {
      await rename(temporary, target);
    } catch (error) {
      throw localWriteError(target, error);
    }
    progress?.({ type: 'download', name, bytes: offset, totalBytes: offset, isDone: true });
    return { size: offset };
  } catch (error) {
    if (!isClosed) await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}
