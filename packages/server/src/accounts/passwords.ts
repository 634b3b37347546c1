import { randomBytes, timingSafeEqual } from 'node:crypto';
import { KolejkaError } from '@kolejka/spec';
import { ScryptPool } from './scrypt-pool.js';

/** scrypt cost: N = 2^14, r = 8, p = 1 (about 16 MiB and tens of milliseconds per hash). */
const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

// One pool per process, started on first use: its threads are unref'd and idle ones cost
// nothing, so the CLI and every server in a process share it without closing it.
let sharedPool: ScryptPool | undefined;

function derive(
  password: string,
  salt: Buffer,
  cost: { N: number; r: number; p: number },
): Promise<Buffer> {
  sharedPool ??= new ScryptPool();
  return sharedPool.derive({
    password: password.normalize('NFC'),
    salt,
    keyBytes: KEY_BYTES,
    cost: { ...cost, maxmem: 64 * 1024 * 1024 },
  });
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64 salt and hash). */
export async function hashPassword(password: string): Promise<string> {
  if (password === '') throw new KolejkaError('KOLEJKA_VALIDATION', 'The password is empty');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join(
    '$',
  );
}

// Verifying against this when the user does not exist keeps the answer time the same,
// so timing does not tell which user names exist.
const DUMMY_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(SALT_BYTES).toString('base64')}$${Buffer.alloc(KEY_BYTES).toString('base64')}`;

/** Checks a password against a stored hash in constant time; false for malformed hashes. */
export async function verifyPassword(
  password: string,
  stored: string | undefined,
): Promise<boolean> {
  const parts = (stored ?? DUMMY_HASH).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (!N || !r || !p || expected.length === 0 || N > 2 ** 20) return false;
  const actual = await derive(password, salt, { N, r, p });
  const isMatch = actual.length === expected.length && timingSafeEqual(actual, expected);
  return isMatch && stored !== undefined;
}
