import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { abortError } from '../http/abort.js';
import { throttled } from '../progress.js';
import type { TransferOptions } from './blob-transfer.js';
import { localFileError } from '../local-errors.js';

/** A local file's SHA-256 (the server's blob key) and size, read as a stream. */
export async function hashFile(
  filePath: string,
  options: TransferOptions = {},
): Promise<{ hash: string; size: number }> {
  const name = options.name ?? filePath;
  let totalBytes: number;
  try {
    const info = await stat(filePath);
    if (!info.isFile()) throw new Error('not a regular file');
    totalBytes = info.size;
  } catch (error) {
    throw localFileError(filePath, error);
  }
  const progress = throttled(options.onProgress);
  const hasher = createHash('sha256');
  let bytes = 0;
  try {
    const stream = createReadStream(filePath, {
      highWaterMark: 1024 * 1024,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    for await (const chunk of stream) {
      hasher.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      progress?.({ type: 'hash', name, bytes, totalBytes, isDone: false });
    }
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options.signal);
    throw localFileError(filePath, error);
  }
  progress?.({ type: 'hash', name, bytes, totalBytes: bytes, isDone: true });
  return { hash: hasher.digest('hex'), size: bytes };
}
