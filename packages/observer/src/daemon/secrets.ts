import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** A session id as the original made them: a uuid4 in hex, without dashes. */
export function newSessionId(): string {
  return randomUUID().replaceAll('-', '');
}

/** 32 random bytes in hex. Knowing it is the only proof of owning a session. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Constant-time comparison. Hashing both sides first gives equal-length inputs, so neither
 * the content nor the length of the expected secret leaks through timing.
 */
export function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
