import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '@kolejka/spec';
import type { HttpLimits } from '../../src/http/connection-limits.js';
import { hashPassword } from '../../src/accounts/passwords.js';
import { newTokenId, newTokenSecret, sha256Hex } from '../../src/accounts/tokens.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { ServerSettingsOptions } from '../../src/server-settings.js';
import { openStorage, type Storage } from '../../src/blobs/open-storage.js';
import type { Role } from '../../src/store/store.js';

export interface TestUser {
  username: string;
  password: string;
  token: string;
}

export interface TestServer extends Storage {
  url: string;
  home: string;
  server: RunningServer;
  users: Record<string, TestUser>;
  addUser(username: string, roles: Role[]): Promise<TestUser>;
  close(): Promise<void>;
}

/** The users most tests need, one per role (plus a second client). */
export const STANDARD_USERS: Record<string, Role[]> = {
  alice: ['client'],
  bob: ['client'],
  foreman: ['processor'],
  inspector: ['inspector'],
  manager: ['manager'],
  root: ['admin'],
};

// One scrypt hash for every test user: hashing is deliberately slow.
let sharedHash: Promise<string> | undefined;
export const TEST_PASSWORD = 'correct horse battery staple';

/** A real server on 127.0.0.1:0 over a real SQLite file and blob directory in a temp dir. */
export async function startTestServer(
  options: {
    settings?: ServerSettingsOptions;
    users?: Record<string, Role[]>;
    logger?: Logger;
    clock?: () => Date;
    http?: Partial<HttpLimits>;
    /** Blob directory (default: in the temp home). */
    blobsDir?: string;
    /** SQLite sync level (default: the store's, `full`). */
    sqliteSynchronous?: 'full' | 'normal';
    /** The dashboard directory served at /ui/ (default: the package's dist). */
    uiDir?: string;
  } = {},
): Promise<TestServer> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-'));
  const storage = await openStorage({
    home,
    ...(options.blobsDir === undefined ? {} : { blobsDir: options.blobsDir }),
    ...(options.sqliteSynchronous === undefined
      ? {}
      : { sqliteSynchronous: options.sqliteSynchronous }),
  });
  const server = await startServer({
    storage,
    port: 0,
    settings: { leaseSweepIntervalMs: 60_000, ...(options.settings ?? {}) },
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.http === undefined ? {} : { http: options.http }),
    ...(options.uiDir === undefined ? {} : { uiDir: options.uiDir }),
  });
  sharedHash ??= hashPassword(TEST_PASSWORD);
  const passwordHash = await sharedHash;
  const users: Record<string, TestUser> = {};
  const addUser = async (username: string, roles: Role[]): Promise<TestUser> => {
    await storage.store.createUser({ username, roles, passwordHash, createdAt: new Date() });
    const token = newTokenSecret();
    await storage.store.createToken({
      id: newTokenId(),
      username,
      tokenHash: sha256Hex(token),
      createdAt: new Date(),
    });
    users[username] = { username, password: TEST_PASSWORD, token };
    return users[username];
  };
  for (const [username, roles] of Object.entries(options.users ?? STANDARD_USERS)) {
    await addUser(username, roles);
  }
  return {
    ...storage,
    url: server.url,
    home,
    server,
    users,
    addUser,
    async close() {
      await server.close();
      await storage.store.close();
      await storage.blobs.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
