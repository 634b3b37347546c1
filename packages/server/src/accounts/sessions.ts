import type { Request, Response } from 'express';
import { clearCookie, parseCookies, setCookie } from '../http/cookies.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';
import { newCookieSecret, sha256Hex } from './tokens.js';

/**
 * Cookie sessions (Django's `sessionid`): the original API logs in with them, and a browser
 * UI would too. Only the SHA-256 of a session key is stored.
 */
export const SESSION_COOKIE = 'sessionid';

/** Whether the request reached us over HTTPS (behind a trusted proxy: as it says). */
export function isSecure(req: Request): boolean {
  return req.protocol === 'https';
}

/** The signed-in user of a session cookie value, or undefined (unknown, expired, user gone). */
export async function sessionPrincipal(
  ports: { store: Store; clock: () => Date },
  value: string | undefined,
): Promise<Principal | undefined> {
  if (value === undefined || value === '' || value.length > 128) return undefined;
  const session = await ports.store.getSession(sha256Hex(value), ports.clock());
  if (session === undefined) return undefined;
  const user = await ports.store.getUser(session.username);
  return user === undefined
    ? undefined
    : { username: user.username, roles: user.roles, via: 'session' };
}

/** Opens a session for `username` and sets its cookie. */
export async function openSession(
  ports: { store: Store; clock: () => Date },
  req: Request,
  res: Response,
  options: { username: string; maxAgeMs: number },
): Promise<void> {
  const value = newCookieSecret();
  const now = ports.clock();
  await ports.store.createSession({
    keyHash: sha256Hex(value),
    username: options.username,
    createdAt: now,
    expiresAt: new Date(now.getTime() + options.maxAgeMs),
  });
  setCookie(res, SESSION_COOKIE, value, {
    maxAgeMs: options.maxAgeMs,
    isHttpOnly: true,
    isSecure: isSecure(req),
  });
}

/** Ends the request's session (if any) and clears its cookie. */
export async function endSession(
  ports: { store: Store },
  req: Request,
  res: Response,
): Promise<void> {
  const value = parseCookies(req).get(SESSION_COOKIE);
  if (value !== undefined && value !== '' && value.length <= 128)
    await ports.store.deleteSession(sha256Hex(value));
  clearCookie(res, SESSION_COOKIE);
}
