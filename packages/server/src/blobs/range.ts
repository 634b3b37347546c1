import { KolejkaError } from '@kolejka/spec';
import type { ByteRange } from './blob-store.js';

/** Checks a byte range against the content size; clamps `end` to the last byte. */
export function checkRange(range: ByteRange, size: number): { start: number; end: number } {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start)
    throw new KolejkaError('KOLEJKA_VALIDATION', `Invalid byte range ${start}-${end}`);
  if (start >= size)
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Byte range ${start}-${end} starts past the end of the blob (${size} bytes)`,
      { details: { size } },
    );
  return { start, end: Math.min(end, size - 1) };
}
