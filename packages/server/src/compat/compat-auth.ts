import type { Request, RequestHandler, Response } from 'express';
import { isKolejkaError } from '@kolejka/spec';
import { bearerTokenOf, principalForToken } from '../accounts/bearer-auth.js';
import { setPrincipal } from '../accounts/principal.js';
import { SESSION_COOKIE, isSecure, sessionPrincipal } from '../accounts/sessions.js';
import { newCookieSecret } from '../accounts/tokens.js';
import { parseCookies, setCookie } from '../http/cookies.js';
import { HttpError, setErrorStyle } from '../http/errors.js';
import type { Store } from '../store/store.js';

export const CSRF_COOKIE = 'csrftoken';
/** Django keeps the CSRF cookie for a year. */
const CSRF_MAX_AGE_MS = 31_449_600_000;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** Sets a fresh `csrftoken` cookie (at first contact, and after login as Django does). */
export function issueCsrfCookie(req: Request, res: Response): string {
  const token = newCookieSecret();
  setCookie(res, CSRF_COOKIE, token, { maxAgeMs: CSRF_MAX_AGE_MS, isSecure: isSecure(req) });
  return token;
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

/**
 * Authentication of the original-compatible routes: the `sessionid` cookie (or a bearer
 * token), the `csrftoken` cookie handed out on first contact, and the CSRF check on
 * POST/PUT/DELETE. Errors of these routes are written the original's way.
 */
export function compatAuth(ports: { store: Store; clock: () => Date }): RequestHandler {
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
      setPrincipal(res, await principalForToken(ports.store, token, ports.clock()));
      next();
      return;
    }
    if (UNSAFE_METHODS.has(req.method)) checkCsrf(req, hasValidCsrfCookie ? csrfCookie : undefined);
    const principal = await sessionPrincipal(ports, cookies.get(SESSION_COOKIE));
    if (principal !== undefined) setPrincipal(res, principal);
    next();
  };
}
