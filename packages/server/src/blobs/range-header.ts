import type { ByteRange } from './blob-store.js';
import { HttpError } from '../http/errors.js';

/**
 * Parses a `Range` header for a resource of `size` bytes: undefined when absent (or not in
 * bytes, which HTTP says to ignore), one inclusive range, or 416 when unsatisfiable.
 * Several ranges at once (a multipart reply) are not served: refused with 416 as well.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!match) return undefined;
  const unsatisfiable = (why: string): HttpError =>
    new HttpError(416, 'KOLEJKA_VALIDATION', `Range ${JSON.stringify(header)} ${why}`, {
      headers: { 'Content-Range': `bytes */${size}` },
      details: { size },
    });
  const specs = (match[1] ?? '').split(',').map((part) => part.trim());
  if (specs.length !== 1) throw unsatisfiable('asks for several ranges; ask for one');
  const range = /^(\d*)-(\d*)$/.exec(specs[0] ?? '');
  if (!range || (range[1] === '' && range[2] === '')) throw unsatisfiable('is malformed');
  const [first, last] = [range[1] ?? '', range[2] ?? ''];
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable('asks for no bytes');
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) throw unsatisfiable('ends before it starts');
  }
  if (start >= size || size === 0) throw unsatisfiable(`starts beyond the ${size} bytes`);
  return { start, end };
}
