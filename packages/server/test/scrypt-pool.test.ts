import { scryptSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ScryptPool } from '../src/accounts/scrypt-pool.js';

const COST = { N: 1024, r: 8, p: 1, maxmem: 32 * 1024 * 1024 };
const job = (password: string, cost = COST) => ({
  password,
  salt: Buffer.from('0123456789abcdef'),
  keyBytes: 32,
  cost,
});

let pool: ScryptPool;
afterEach(async () => {
  await pool.close();
});

describe('the scrypt thread pool', () => {
  it("derives the same key as node's own scrypt, for jobs spread over its threads", async () => {
    pool = new ScryptPool(2);
    const passwords = ['a', 'b', 'c', 'd', 'e'];
    const keys = await Promise.all(passwords.map((password) => pool.derive(job(password))));
    keys.forEach((key, index) => {
      const { password, salt, keyBytes, cost } = job(passwords[index] ?? '');
      expect(key.equals(scryptSync(password, salt, keyBytes, cost))).toBe(true);
    });
  });

  it('fails a job with bad parameters and goes on with the next', async () => {
    pool = new ScryptPool(1);
    await expect(pool.derive(job('x', { ...COST, N: 1000 }))).rejects.toThrow();
    const key = await pool.derive(job('x'));
    expect(key).toHaveLength(32);
  });

  it('refuses work after close, and close is idempotent', async () => {
    pool = new ScryptPool(1);
    await pool.derive(job('warm'));
    await pool.close();
    await pool.close();
    await expect(pool.derive(job('late'))).rejects.toMatchObject({ code: 'KOLEJKA_UNAVAILABLE' });
  });
});
