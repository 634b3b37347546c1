import type { ErrorRequestHandler, Request, Response } from 'express';
import {
  KolejkaError,
  diskFullCode,
  isKolejkaError,
  type ErrorCode,
  type Logger,
} from '@kolejka/spec';
import { errnoOf } from './disk-full.js';

/** The HTTP status of each error code: the one mapping of the API. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  KOLEJKA_VALIDATION: 400,
  KOLEJKA_UNAUTHORIZED: 401,
  KOLEJKA_FORBIDDEN: 403,
  KOLEJKA_NOT_FOUND: 404,
  KOLEJKA_CONFLICT: 409,
  KOLEJKA_TOO_LARGE: 413,
  KOLEJKA_INTERNAL: 500,
  KOLEJKA_DOCKER: 502,
  KOLEJKA_UNAVAILABLE: 503,
  KOLEJKA_CANCELLED: 503,
  KOLEJKA_TIMEOUT: 504,
};

/**
 * A KolejkaError whose HTTP status is a protocol detail rather than its code's default:
 * 405 (method), 415 (content type), 416 (range). Its code still says what kind it is.
 */
export class HttpError extends KolejkaError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options: { details?: unknown; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(code, message, options);
    this.status = status;
    this.headers = options.headers ?? {};
  }
}

export function statusOf(error: KolejkaError): number {
  return error instanceof HttpError ? error.status : STATUS_BY_CODE[error.code];
}

/** How errors are written for a request: the v1 `{error}` body or the original's style. */
export type ErrorStyle = 'v1' | 'compat';

const STYLE = Symbol('kolejka.errorStyle');

export function setErrorStyle(res: Response, style: ErrorStyle): void {
  (res.locals as Record<symbol, ErrorStyle>)[STYLE] = style;
}

function errorStyleOf(res: Response): ErrorStyle {
  return (res.locals as Record<symbol, ErrorStyle | undefined>)[STYLE] ?? 'v1';
}

/**
 * Turns anything thrown into a KolejkaError; unknown errors become KOLEJKA_INTERNAL, except
 * a full disk anywhere in the cause chain: 507 naming it, so whoever reads the client's
 * error knows what to fix.
 */
export function asKolejkaError(error: unknown): KolejkaError {
  const diskFull = error instanceof HttpError ? undefined : diskFullCode(error);
  if (diskFull !== undefined) {
    return new HttpError(
      507,
      'KOLEJKA_UNAVAILABLE',
      `No space left on the server's disk (${diskFull})`,
      { cause: error, details: { cause: diskFull } },
    );
  }
  if (isKolejkaError(error)) return error;
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status;
  // Errors of Express itself (for example a malformed URI) carry a 4xx status.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, 'KOLEJKA_VALIDATION', (error as Error).message, { cause: error });
  }
  return new KolejkaError('KOLEJKA_INTERNAL', 'Internal server error', { cause: error });
}

/** Writes a JSON reply with exactly `Content-Type: application/json` (no charset). */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.status(status);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** The original's empty 403/404 (Django's HttpResponseForbidden/NotFound). */
export function sendEmpty(res: Response, status: number): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', '0');
  res.end();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function sendCompat(res: Response, error: KolejkaError, status: number): void {
  switch (error.code) {
    case 'KOLEJKA_UNAUTHORIZED':
    case 'KOLEJKA_FORBIDDEN':
      if ((error.details as { reason?: unknown } | undefined)?.reason === 'csrf') {
        // Django explains a CSRF refusal in a page; the original client shows nothing, people do.
        const page = `<h1>Forbidden (403)</h1><p>${escapeHtml(error.message)}</p>`;
        res.status(403).setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(page);
        return;
      }
      sendEmpty(res, 403);
      return;
    case 'KOLEJKA_NOT_FOUND':
      sendEmpty(res, 404);
      return;
    case 'KOLEJKA_VALIDATION':
    case 'KOLEJKA_CONFLICT':
      // The original answers application failures with FAIL on HTTP 200; its client
      // shows the message only then.
      if (!(error instanceof HttpError)) {
        sendJson(res, 200, { message: error.message, status: 'FAIL' });
        return;
      }
      break;
    case 'KOLEJKA_TOO_LARGE':
    case 'KOLEJKA_UNAVAILABLE':
    case 'KOLEJKA_TIMEOUT':
    case 'KOLEJKA_CANCELLED':
    case 'KOLEJKA_DOCKER':
    case 'KOLEJKA_INTERNAL':
      break;
  }
  sendJson(res, status, { message: error.message, status: 'FAIL' });
}

/** The one error middleware: maps KolejkaError codes to statuses and writes the body. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next) => {
    if (req.socket.destroyed || (req.destroyed && !req.complete)) {
      // The client went away (for example mid-upload): nobody to answer, nothing broken.
      logger.debug('client disconnected during the request', {
        method: req.method,
        path: req.path,
      });
      return;
    }
    if (res.headersSent) {
      // The reply is half written (a stream failed): all that is left is to cut it off.
      logger.warn('reply failed after its start', { path: req.path, error: String(error) });
      res.destroy();
      return;
    }
    const kolejkaError = asKolejkaError(error);
    const status = statusOf(kolejkaError);
    if (status >= 500) {
      logger.error('request failed', {
        method: req.method,
        path: req.path,
        code: kolejkaError.code,
        ...(errnoOf(error) === undefined ? {} : { cause: errnoOf(error) }),
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
    if (kolejkaError instanceof HttpError) {
      for (const [name, value] of Object.entries(kolejkaError.headers)) res.setHeader(name, value);
    }
    if (status === 413) {
      // The rest of an oversized body is not read: the connection cannot be reused.
      res.setHeader('Connection', 'close');
    }
    if (errorStyleOf(res) === 'compat') {
      sendCompat(res, kolejkaError, status);
      return;
    }
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="kolejka"');
    const body: { code: ErrorCode; message: string; details?: unknown } = {
      code: kolejkaError.code,
      message: kolejkaError.message,
    };
    if (kolejkaError.details !== undefined) body.details = kolejkaError.details;
    sendJson(res, status, { error: body });
  };
}
