import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.js';
import { openStorage, type Storage } from '../src/blobs/open-storage.js';
import { runCliCaptured } from './support/cli-run.js';
import { api } from './support/http-client.js';
import { spawnCli } from './support/server-process.js';

let home: string;
const cli = (args: string[], stdin?: string) =>
  runCliCaptured([...args, '--home', home], stdin === undefined ? {} : { stdin });

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-cli-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('help and usage', () => {
  it('explains every command, and every option of serve', async () => {
    const help = await runCliCaptured(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'user', 'token', 'task', 'gc'])
      expect(help.stdout).toContain(command);
    const serve = await runCliCaptured(['serve', '--help']);
    for (const option of [
      '--host',
      '--port',
      '--home',
      '--db',
      '--blobs',
      '--config',
      '--default-limits',
      '--max-limits',
      '--image-pattern',
      '--callback-host',
      '--max-json-size',
      '--max-blob-size',
      '--lease',
      '--max-attempts',
      '--compat-lease',
      '--log-level',
      '--ui',
    ]) {
      expect(serve.stdout).toContain(option);
    }
    expect(serve.stdout).toContain('--no-ui');
    const user = await runCliCaptured(['user', 'add', '--help']);
    expect(user.stdout).toContain('--password-stdin');
    expect(user.stdout).toContain('--role');
  });

  it('exits 2 on usage errors', async () => {
    for (const args of [
      [],
      ['bogus'],
      ['user'],
      ['user', 'add', 'x'],
      ['user', 'add', 'x', '--role', 'king'],
      ['task', 'list', '--state', 'lost'],
    ]) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/kolejka-server: .+/);
    }
  });
});

describe('users and tokens', () => {
  it('adds users, sets passwords, lists and removes them', async () => {
    const added = await cli(
      ['user', 'add', 'alice', '--role', 'client', '--role', 'inspector', '--password-stdin'],
      'first password\n',
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('user alice added (client, inspector)');
    const again = await cli(['user', 'add', 'alice', '--role', 'client'], '');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/alice/);
    const tokenOnly = await cli(['user', 'add', 'robot', '--role', 'processor']);
    expect(tokenOnly.code).toBe(0);
    expect(tokenOnly.stdout).toContain('no password');
    const bad = await cli(['user', 'add', 'bad name!', '--role', 'client']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not a valid user name');

    const listed = await cli(['user', 'list']);
    expect(listed.stdout).toMatch(
      /^USER\s+ROLES\s+PASSWORD\s+CREATED\s+WEIGHT\s+MAX-RUNNING\s+MAX-QUEUED$/m,
    );
    expect(listed.stdout).toMatch(/^alice\s.*\s1\s+-\s+-$/m);
    expect(listed.stdout).toMatch(/^alice\s+client,inspector\s+yes\s/m);
    expect(listed.stdout).toMatch(/^robot\s+processor\s+no\s/m);

    expect(
      (await cli(['user', 'passwd', 'alice', '--password-stdin'], 'second password\n')).code,
    ).toBe(0);
    const noTerminal = await cli(['user', 'passwd', 'alice']);
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.stderr).toContain('--password-stdin');
    expect((await cli(['user', 'passwd', 'nobody', '--password-stdin'], 'x\n')).code).toBe(1);

    const storage = await openStorage({ home });
    const server = await startServer({ storage, port: 0 });
    try {
      const login = (password: string) =>
        api(server.url, '/api/v1/tokens', { json: { username: 'alice', password } });
      expect((await login('second password')).status).toBe(201);
      expect((await login('first password')).status).toBe(401);
    } finally {
      await server.close();
      await storage.store.close();
      await storage.blobs.close();
    }

    expect((await cli(['user', 'remove', 'robot'])).code).toBe(0);
    expect((await cli(['user', 'remove', 'robot'])).code).toBe(1);
    expect((await cli(['user', 'list'])).stdout).not.toContain('robot');
  });

  it('creates a token shown once, lists it without the secret, revokes it', async () => {
    await cli(['user', 'add', 'carol', '--role', 'client']);
    const created = await cli(['token', 'create', 'carol', '--label', 'ci']);
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^kolejka_[\w-]{43}$/);
    const id = /token (\w+) created/.exec(created.stderr)?.[1] ?? '';
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    const listed = await cli(['token', 'list', 'carol']);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+carol\\s+ci\\s`, 'm'));
    expect(listed.stdout).not.toContain(secret);

    const storage = await openStorage({ home });
    const server = await startServer({ storage, port: 0 });
    try {
      expect((await api(server.url, '/api/v1/me', { token: secret })).json).toMatchObject({
        username: 'carol',
      });
      expect((await cli(['token', 'revoke', id])).code).toBe(0);
      expect((await api(server.url, '/api/v1/me', { token: secret })).status).toBe(401);
    } finally {
      await server.close();
      await storage.store.close();
      await storage.blobs.close();
    }
    expect((await cli(['token', 'revoke', id])).code).toBe(1);
    expect((await cli(['token', 'create', 'nobody'])).code).toBe(1);
  });
});

describe('tasks and gc', () => {
  let storage: Storage;
  let server: RunningServer;
  let token: string;
  beforeAll(async () => {
    await cli(['user', 'add', 'dave', '--role', 'client']);
    token = (await cli(['token', 'create', 'dave'])).stdout.trim();
    storage = await openStorage({ home });
    server = await startServer({ storage, port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await storage.store.close();
    await storage.blobs.close();
  });

  it('lists, requeues and removes tasks', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await api(server.url, '/api/v1/tasks', {
        token,
        json: { task: { image: 'kolejka-test/busybox:latest', args: ['true'] } },
      });
      keys.push((created.json as { key: string }).key);
    }
    const [first = '', second = '', third = ''] = keys;
    await storage.store.claimTask(first, {
      assignee: 'someone',
      leaseExpiresAt: new Date(Date.now() + 60_000),
      now: new Date(),
    });

    const all = await cli(['task', 'list']);
    expect(all.code).toBe(0);
    for (const key of keys) expect(all.stdout).toContain(key);
    const assigned = await cli(['task', 'list', '--state', 'assigned']);
    expect(assigned.stdout).toMatch(
      new RegExp(`^${first}\\s+assigned\\s+dave\\s+1\\s+someone\\s`, 'm'),
    );
    expect(assigned.stdout).not.toContain(second);
    const limited = await cli(['task', 'list', '--limit', '1']);
    expect(limited.stdout.trim().split('\n')).toHaveLength(2);

    const requeued = await cli(['task', 'requeue', first]);
    expect(requeued.code).toBe(0);
    expect(await storage.store.getTask(first)).toMatchObject({ state: 'queued' });
    expect((await cli(['task', 'requeue', first])).code).toBe(1);

    const removed = await cli(['task', 'remove', second, third]);
    expect(removed.code).toBe(0);
    expect(await storage.store.getTask(second)).toBeUndefined();
    const missing = await cli(['task', 'remove', second]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(second);
  });

  it('collects unreferenced blobs after the grace period', async () => {
    const upload = await api(server.url, '/api/v1/blobs', { token, body: 'garbage soon' });
    const hash = (upload.json as { hash: string }).hash;
    expect(
      await api(server.url, `/api/v1/blobs/${hash}`, { method: 'DELETE', token }),
    ).toMatchObject({ status: 204 });
    const kept = await cli(['gc']);
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ blobsDeleted: 0 });
    expect(await storage.blobs.size(hash)).toBe(12);
    const collected = await cli(['gc', '--grace', '0s']);
    expect(collected.code).toBe(0);
    expect(
      (JSON.parse(collected.stdout) as { blobsDeleted: number }).blobsDeleted,
    ).toBeGreaterThanOrEqual(1);
    expect(await storage.blobs.size(hash)).toBeUndefined();
    expect((await cli(['gc', '--grace', 'soon'])).code).toBe(2);
  });
});

describe('the process', () => {
  it('exits 0, 1 and 2 as a real process', async () => {
    const usage = spawnCli(['user', 'frobnicate']);
    expect((await usage.exited).code).toBe(2);
    const failure = spawnCli(['task', 'requeue', 'f'.repeat(32), '--home', home]);
    expect((await failure.exited).code).toBe(1);
    expect(failure.stderr()).toContain('No task');
    const fine = spawnCli(['user', 'list', '--home', home]);
    expect((await fine.exited).code).toBe(0);
    expect(fine.stdout()).toContain('alice');
  });

  it('reads the config file, with the environment and flags over it', async () => {
    const config = path.join(home, 'config.json');
    await writeFile(
      config,
      JSON.stringify({ home: '/nonexistent/from-config', logLevel: 'error' }),
    );
    // The flag wins over the file, so this lists the users of the real home.
    const run = await runCliCaptured(['user', 'list', '--config', config, '--home', home]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('alice');
    await writeFile(config, JSON.stringify({ home, colour: 'blue' }));
    const bad = await runCliCaptured(['user', 'list', '--config', config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('colour');
    const fromEnv = await runCliCaptured(['user', 'list'], { env: { KOLEJKA_HOME: home } });
    expect(fromEnv.stdout).toContain('alice');
  });
});
