import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** API tokens look like `kolejka_<43 base64url chars>`; only their SHA-256 is stored. */
export const TOKEN_PREFIX = 'kolejka_';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The public id of a token (to list and revoke it): 16 hex digits. */
export function newTokenId(): string {
  return randomBytes(8).toString('hex');
}

/** A uuid4 in the original's form: 32 lowercase hex digits, no dashes. */
export function newUuidHex(): string {
  return randomUUID().replaceAll('-', '');
}

/** A random value for cookies (`sessionid`, `csrftoken`): 32 characters of [a-zA-Z0-9]. */
export function newCookieSecret(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(64);
  let out = '';
  // 248 = 4 × 62: bytes above it are skipped so every character is equally likely.
  for (const byte of bytes) {
    if (byte < 248) out += alphabet[byte % 62];
    if (out.length === 32) return out;
  }
  return out + newCookieSecret().slice(out.length);
}
