import type { Response } from 'express';
import { KolejkaError } from '@kolejka/spec';
import { sendJson } from '../http/errors.js';

/**
 * A time as Django's JSON encoder writes it: ISO-8601 in UTC with `Z`, milliseconds only
 * when there is a fraction (`2023-07-31T10:11:12.345Z`, `2023-07-31T10:11:12Z`).
 */
export function djangoTime(date: Date): string {
  const iso = date.toISOString();
  return date.getUTCMilliseconds() === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

/** The original's `OKResponse`: the payload plus `"status": "OK"`, HTTP 200. */
export function sendOk(res: Response, data: Record<string, unknown> = {}): void {
  sendJson(res, 200, { ...data, status: 'OK' });
}

/** An application failure: the error middleware answers `{"status": "FAIL", "message"}` on 200. */
export function failure(message: string, details?: unknown): KolejkaError {
  return new KolejkaError('KOLEJKA_VALIDATION', message, details === undefined ? {} : { details });
}

/** The original's bare 403 (permission) for a request it refuses. */
export function forbidden(why: string): KolejkaError {
  return new KolejkaError('KOLEJKA_FORBIDDEN', why);
}

/** The original's bare 404. */
export function notFound(why: string): KolejkaError {
  return new KolejkaError('KOLEJKA_NOT_FOUND', why);
}
