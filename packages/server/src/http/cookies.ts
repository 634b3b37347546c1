import type { Request, Response } from 'express';

/** The request's cookies; malformed pairs are skipped, the first of a repeated name wins. */
export function parseCookies(req: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    let value = part.slice(index + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  maxAgeMs?: number;
  isHttpOnly?: boolean;
  isSecure?: boolean;
}

/** Appends a `Set-Cookie` (Django's attributes: `Path=/`, `SameSite=Lax`). */
export function setCookie(res: Response, name: string, value: string, options: CookieOptions) {
  const parts = [`${name}=${value}`, 'Path=/', 'SameSite=Lax'];
  if (options.maxAgeMs !== undefined) {
    const seconds = Math.floor(options.maxAgeMs / 1000);
    parts.push(`Max-Age=${seconds}`);
    parts.push(`Expires=${new Date(Date.now() + seconds * 1000).toUTCString()}`);
  }
  if (options.isHttpOnly === true) parts.push('HttpOnly');
  if (options.isSecure === true) parts.push('Secure');
  res.append('Set-Cookie', parts.join('; '));
}

export function clearCookie(res: Response, name: string): void {
  res.append(
    'Set-Cookie',
    `${name}=""; Path=/; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`,
  );
}
