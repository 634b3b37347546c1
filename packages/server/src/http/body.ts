import type { Request } from 'express';
import { KolejkaError, pointerAppend, readablePath } from '@kolejka/spec';
import { HttpError } from './errors.js';

/** Deeper JSON is refused before parsing: no Kolejka document nests beyond a few levels. */
export const MAX_JSON_DEPTH = 64;

function tooLarge(what: string, maxBytes: number): KolejkaError {
  return new KolejkaError(
    'KOLEJKA_TOO_LARGE',
    `The ${what} is larger than the server accepts (${maxBytes} bytes)`,
    { details: { maxBytes } },
  );
}

/** Refuses a declared `Content-Length` above `maxBytes` before anything is read. */
export function checkDeclaredLength(req: Request, maxBytes: number, what: string): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(what, maxBytes);
}

/**
 * Reads a whole (small) body whatever its Content-Type — the original client sends raw
 * JSON with none. Stops at `maxBytes` with KOLEJKA_TOO_LARGE.
 */
export function readBody(req: Request, maxBytes: number, what: string): Promise<Buffer> {
  checkDeclaredLength(req, maxBytes, what);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let isDone = false;
    const finish = (error?: Error): void => {
      if (isDone) return;
      isDone = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(tooLarge(what, maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onError = (error: Error): void =>
      finish(
        new KolejkaError('KOLEJKA_CANCELLED', 'The request body was cut off', { cause: error }),
      );
    const onClose = (): void => {
      if (!req.complete)
        finish(new KolejkaError('KOLEJKA_CANCELLED', 'The request body was cut off'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function invalid(what: string, problem: string, path?: string): KolejkaError {
  const where = path === undefined ? '' : ` at ${readablePath(path)}`;
  return new KolejkaError('KOLEJKA_VALIDATION', `Invalid ${what}${where}: ${problem}`, {
    details: { issues: [{ path: path ?? '', message: problem }] },
  });
}

function checkDepth(text: string, what: string): void {
  let depth = 0;
  let isInString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (isInString) {
      if (char === 0x5c) i++;
      else if (char === 0x22) isInString = false;
    } else if (char === 0x22) isInString = true;
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > MAX_JSON_DEPTH)
        throw invalid(what, `nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
}

/** Every string and key must be valid Unicode, and no key may be `__proto__`. */
function checkStrings(value: unknown, path: string, what: string): void {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value))
      throw invalid(what, 'contains a lone UTF-16 surrogate (not valid Unicode)', path);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkStrings(item, pointerAppend(path, index), what));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const itemPath = pointerAppend(path, key);
    if (key === '__proto__') throw invalid(what, 'the name "__proto__" is not allowed', itemPath);
    if (LONE_SURROGATE.test(key))
      throw invalid(what, 'the name contains a lone UTF-16 surrogate', itemPath);
    checkStrings(item, itemPath, what);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON body with messages that say what is wrong; never throws a SyntaxError. */
export function parseJsonBody(body: Buffer, what: string): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (error) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `Invalid ${what}: the body is not UTF-8 text`, {
      cause: error,
    });
  }
  if (text.trim() === '') throw invalid(what, 'the body is empty; send a JSON object');
  checkDepth(text, what);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid ${what}: the body is not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
  checkStrings(value, '', what);
  return value;
}

/** The v1 API takes JSON only as `application/json` (or a `+json` type). */
export function requireJsonContentType(req: Request): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type)) return;
  throw new HttpError(
    415,
    'KOLEJKA_VALIDATION',
    type === ''
      ? 'The request has no Content-Type; send JSON as application/json'
      : `Content-Type ${JSON.stringify(type)} is not accepted here; send JSON as application/json`,
  );
}

/** Reads and parses a v1 JSON body (Content-Type checked). */
export async function readJson(req: Request, maxBytes: number, what: string): Promise<unknown> {
  requireJsonContentType(req);
  return parseJsonBody(await readBody(req, maxBytes, what), what);
}

/** A JSON object body, or a validation error naming what came instead. */
export function expectObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw invalid(what, `the body must be a JSON object, not ${got}`, '');
  }
  return value as Record<string, unknown>;
}
