import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';

/** Where the MongoDB tests run: a replica set named by this variable. */
export const MONGODB_URL = process.env.KOLEJKA_TEST_MONGODB_URL;

const HOW =
  'set KOLEJKA_TEST_MONGODB_URL=mongodb://127.0.0.1:27017/?replicaSet=rs0&directConnection=true ' +
  '(a replica set: `mongod --replSet rs0` and `rs.initiate()`; the GitHub workflow starts one)';

/** Declares `what` as skipped, saying why and how to run it, when no MongoDB is configured. */
export function skipWithoutMongo(what: string): boolean {
  if (MONGODB_URL !== undefined && MONGODB_URL !== '') return false;
  console.log(`skipped: ${what}: ${HOW}`);
  describe.skip(`${what} (skipped: set KOLEJKA_TEST_MONGODB_URL)`, () => {
    it('needs a MongoDB replica set', () => {});
  });
  return true;
}

/** A database name no other test run uses. */
export const scratchDatabaseName = (): string => `kolejka_test_${randomBytes(6).toString('hex')}`;
