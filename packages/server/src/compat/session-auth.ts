import type { Request, RequestHandler, Response } from 'express';
import { isKolejkaError } from '@kolejka/spec';
import type { AppContext } from '../app-context.js';
import { bearerTokenOf, principalForToken } from '../auth/bearer.js';
import { setPrincipal, type Principal } from '../auth/principal.js';
import { newCookieSecret, sha256Hex } from '../auth/tokens.js';
import { parseCookies, setCookie } from '../http/cookies.js';
import { HttpError, setErrorStyle } from '../http/errors.js';

export const SESSION_COOKIE = 'sessionid';
export const CSRF_COOKIE = 'csrftoken';
/** Django keeps the CSRF cookie for a year. */
const CSRF_MAX_AGE_MS = 31_449_600_000;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** Whether the request reached us over HTTPS (behind a trusted proxy: as it says). */
function isSecure(req: Request): boolean {
  return req.protocol === 'https';
}

/** Sets a fresh `csrftoken` cookie (at first contact, and after login as Django does). */
export function issueCsrfCookie(req: Request, res: Response): string {
  const token = newCookieSecret();
  setCookie(res, CSRF_COOKIE, token, { maxAgeMs: CSRF_MAX_AGE_MS, isSecure: isSecure(req) });
  return token;
}

export function setSessionCookie(req: Request, res: Response, value: string, maxAgeMs: number) {
  setCookie(res, SESSION_COOKIE, value, { maxAgeMs, isHttpOnly: true, isSecure: isSecure(req) });
}

function csrfFailure(reason: string): HttpError {
  return new HttpError(403, 'KOLEJKA_FORBIDDEN', `CSRF verification failed: ${reason}`, {
    details: { reason: 'csrf' },
  });
}

/** Django's CSRF rule: unsafe methods carry `X-CSRFToken` equal to the cookie; over HTTPS
 * the Referer must be same-origin too. Requests authenticated by a bearer token carry no
 * ambient credential, so they are exempt. */
function checkCsrf(req: Request, cookie: string | undefined): void {
  if (isSecure(req)) {
    const referer = req.headers.referer;
    if (referer === undefined) throw csrfFailure('Referer checking failed - no Referer.');
    let origin: string;
    try {
      origin = new URL(referer).origin;
    } catch {
      throw csrfFailure('Referer checking failed - Referer is malformed.');
    }
    if (origin !== `https://${req.get('host') ?? ''}`) {
      throw csrfFailure(`Referer checking failed - ${referer} does not match any trusted origins.`);
    }
  }
  if (cookie === undefined) throw csrfFailure('CSRF cookie not set.');
  const header = req.get('x-csrftoken');
  if (header === undefined || header === '') throw csrfFailure('CSRF token missing.');
  if (header !== cookie) throw csrfFailure('CSRF token incorrect.');
}

async function sessionPrincipal(
  ctx: AppContext,
  value: string | undefined,
): Promise<Principal | undefined> {
  if (value === undefined || value === '' || value.length > 128) return undefined;
  const session = await ctx.store.getSession(sha256Hex(value), ctx.clock());
  if (session === undefined) return undefined;
  const user = await ctx.store.getUser(session.username);
  return user === undefined
    ? undefined
    : { username: user.username, roles: user.roles, via: 'session' };
}

/**
 * Authentication of the original-compatible routes: the `sessionid` cookie (or a bearer
 * token), the `csrftoken` cookie handed out on first contact, and the CSRF check on
 * POST/PUT/DELETE. Errors of these routes are written the original's way.
 */
export function compatAuth(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    setErrorStyle(res, 'compat');
    const cookies = parseCookies(req);
    const csrfCookie = cookies.get(CSRF_COOKIE);
    const hasValidCsrfCookie = csrfCookie !== undefined && /^[A-Za-z0-9]{32,64}$/.test(csrfCookie);
    if (!hasValidCsrfCookie) issueCsrfCookie(req, res);

    let token: string | undefined;
    try {
      token = bearerTokenOf(req);
    } catch (error) {
      if (!isKolejkaError(error)) throw error;
    }
    if (token !== undefined) {
      setPrincipal(res, await principalForToken(ctx.store, token, ctx.clock()));
      next();
      return;
    }
    if (UNSAFE_METHODS.has(req.method)) checkCsrf(req, hasValidCsrfCookie ? csrfCookie : undefined);
    const principal = await sessionPrincipal(ctx, cookies.get(SESSION_COOKIE));
    if (principal !== undefined) setPrincipal(res, principal);
    next();
  };
}
