import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { BlobRecord } from '../store/store.js';
import type { BlobStore } from './blob-store.js';
import { parseRange } from './range-header.js';

/**
 * Streams a blob as the reply (HEAD: headers only). With `isRangeAllowed`, a `Range`
 * header gets a 206 partial reply. The content is never held in memory.
 */
export async function sendBlob(
  ports: { blobs: BlobStore },
  req: Request,
  res: Response,
  blob: BlobRecord,
  options: { isRangeAllowed: boolean },
): Promise<void> {
  const range = options.isRangeAllowed ? parseRange(req.headers.range, blob.size) : undefined;
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('ETag', `"${blob.hash}"`);
  res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
  if (options.isRangeAllowed) res.setHeader('Accept-Ranges', 'bytes');
  if (range === undefined) {
    res.status(200);
    res.setHeader('Content-Length', String(blob.size));
  } else {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  }
  if (req.method === 'HEAD' || blob.size === 0) {
    res.end();
    return;
  }
  const content = await ports.blobs.open(blob.hash, range);
  await pipeline(content, res);
}
