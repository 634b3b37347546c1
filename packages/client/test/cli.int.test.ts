import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimTasks, startFakeForeman, type ForemanIdentity } from './support/fake-foreman.js';
import { runClient, spawnClient, type CliRun } from './support/cli-run.js';
import { makeTaskDir, removeTempDirs, tempDir } from './support/fixtures.js';
import { blobUploadCount, deadUrl } from './support/forwarder.js';
import { startTestServer, type TestServer, type TestUser } from './support/test-server.js';

let server: TestServer;
let foreman: ForemanIdentity;
let fakeForeman: ReturnType<typeof startFakeForeman>;

beforeAll(async () => {
  server = await startTestServer();
  foreman = { url: server.url, token: server.users.foreman?.token as string };
  // Runs every queued task at once; tasks say in their environment how the "run" ends.
  fakeForeman = startFakeForeman(foreman, (claim) => {
    const environment = claim.spec.environment;
    return {
      exitCode: Number(environment.FAKE_EXIT ?? '0'),
      files: { 'console.txt': `ran ${claim.key}\n` },
      ...(environment.FAKE_EXIT === '137'
        ? { termination: { reason: 'memory_limit' as const } }
        : {}),
    };
  });
});
afterAll(async () => {
  await fakeForeman.stop();
  await server.close();
  await removeTempDirs();
});

/** A home, /etc and XDG dirs of their own, and a user with a token. */
async function sandbox(options: { withToken?: boolean } = {}) {
  const root = await tempDir();
  const user: TestUser = await server.addUser(`cli${Math.random().toString(36).slice(2, 10)}`, [
    'client',
  ]);
  const env: Record<string, string> = {
    HOME: path.join(root, 'home'),
    XDG_CONFIG_DIRS: path.join(root, 'xdg'),
    KOLEJKA_SERVER: server.url,
    ...(options.withToken === false ? {} : { KOLEJKA_TOKEN: user.token }),
  };
  const etcDir = path.join(root, 'etc');
  const run = (
    args: string[],
    extra: { env?: Record<string, string>; stdin?: string } = {},
  ): Promise<CliRun> =>
    runClient(args, {
      env: { ...env, ...(extra.env ?? {}) },
      etcDir,
      ...(extra.stdin === undefined ? {} : { stdin: extra.stdin }),
    });
  return { root, env, etcDir, user, run };
}

const lines = (text: string): unknown[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);

/** Keeps a task from the background fake foreman: the test claims it with the tag. */
const HELD = { requires: ['held'] };

describe('usage', () => {
  it('explains every command and the exit codes', async () => {
    const { run } = await sandbox();
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['execute', 'task', 'result', 'blob', 'login', 'config']) {
      expect(help.stdout).toContain(`kolejka-client ${command}`);
    }
    expect(help.stdout).toContain('6  the server is unreachable');
    const execute = await run(['execute', '--help']);
    for (const flag of [
      '--consume',
      '--timeout',
      '--memory',
      '--gpu-memory',
      '--network',
      '--json',
      '--quiet',
    ]) {
      expect(execute.stdout).toContain(flag);
    }
    expect((await run(['task', 'put', '--help'])).stdout).toContain('--cpus');
  });

  it('exits 2 on a usage error', async () => {
    const { run } = await sandbox();
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown argument: frobnicate');
    expect((await run(['execute', 'only-one'])).code).toBe(2);
    const badLimit = await run(['task', 'put', '.', '--memory', '64Mi']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--memory: "64Mi" is not a valid memory size');
    const badKey = await run(['result', 'wait', 'nope']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('"nope" is not a task key');
  });
});

describe('task commands', () => {
  it('puts (printing the key), deduplicates, gets, lists, cancels and deletes', async () => {
    const { run, root } = await sandbox();
    const dir = await makeTaskDir(
      { 'run.sh': `echo ${Math.random()}\n`, 'in/data.txt': 'data\n' },
      HELD,
    );
    const put = await run(['task', 'put', dir]);
    expect(put.code).toBe(0);
    const key = put.stdout.trim();
    expect(key).toMatch(/^[0-9a-f]{32}$/);

    const before = await blobUploadCount(server.url);
    const again = await run(['task', 'put', dir, '--json', '--memory', '32M']);
    const [putJson] = lines(again.stdout) as [Record<string, unknown>];
    expect(putJson).toMatchObject({
      state: 'queued',
      uploadedFiles: 0,
      task: { key: putJson.key },
    });
    expect((putJson.task as { spec: { limits: unknown } }).spec.limits).toEqual({
      memory: '33554432b',
      workspace: '1073741824b', // the server's default
    });
    expect(await blobUploadCount(server.url)).toBe(before);

    const target = path.join(root, 'copy');
    const get = await run(['task', 'get', key, target, '--json']);
    expect(get.code).toBe(0);
    expect(lines(get.stdout)).toEqual([
      {
        key,
        dir: target,
        files: ['in/data.txt', 'run.sh'],
        task: expect.objectContaining({ key }),
      },
    ]);
    expect(await readFile(path.join(target, 'in/data.txt'), 'utf8')).toBe('data\n');

    const list = await run(['task', 'list', '--json', '--limit', '1']);
    const [page] = lines(list.stdout) as [{ items: { key: string }[]; nextCursor?: string }];
    expect(page.items.map((task) => task.key)).toEqual([putJson.key]);
    expect(page.nextCursor).toEqual(expect.any(String));
    const table = await run(['task', 'list', '--state', 'queued']);
    expect(table.stdout.split('\n')[0]).toMatch(/^KEY\s+STATE\s+CREATED\s+IMAGE$/);
    expect(table.stdout).toContain(key);

    const cancel = await run(['task', 'cancel', key, '--json']);
    expect(lines(cancel.stdout)).toEqual([
      { key, state: 'cancelled', task: expect.objectContaining({ key }) },
    ]);
    const refused = await run(['task', 'cancel', key]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('already cancelled');
    const requeue = await run(['task', 'requeue', key, '--json']);
    expect(lines(requeue.stdout)).toEqual([
      { key, state: 'queued', task: expect.objectContaining({ key }) },
    ]);
    const notEnded = await run(['task', 'requeue', key]);
    expect(notEnded.code).toBe(3);
    expect(notEnded.stderr).toContain('is queued');

    expect(lines((await run(['task', 'delete', key, '--json'])).stdout)).toEqual([
      { key, deleted: true },
    ]);
    const gone = await run(['task', 'delete', key, '--json']);
    expect(gone.code).toBe(4);
    expect(lines(gone.stdout)).toEqual([
      { error: expect.objectContaining({ code: 'KOLEJKA_NOT_FOUND' }) },
    ]);
  });

  it('exits 2 for a bad local task dir, 4 for a missing one, 3 when the server refuses', async () => {
    const { run } = await sandbox();
    const noImage = await makeTaskDir(undefined, { image: undefined });
    const invalid = await run(['task', 'put', noImage]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('image is missing');
    expect((await run(['task', 'put', path.join(noImage, 'nope')])).code).toBe(4);
    const refused = await run([
      'task',
      'put',
      await makeTaskDir(undefined, { callback_url: 'http://evil.example/' }),
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('not allowed for callbacks');
    const badToken = await run(['task', 'list'], { env: { KOLEJKA_TOKEN: 'kolejka_wrong' } });
    expect(badToken.code).toBe(3);
  });
});

describe('blob commands', () => {
  it('puts (printing the hash), gets and deletes blobs', async () => {
    const { run, root } = await sandbox();
    const file = path.join(root, 'file.txt');
    await writeFile(file, `blob ${Math.random()}`);
    const put = await run(['blob', 'put', file]);
    const hash = put.stdout.trim();
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(lines((await run(['blob', 'put', file, '--json'])).stdout)).toEqual([
      { hash, size: (await stat(file)).size, uploaded: false },
    ]);
    const copy = path.join(root, 'copy.txt');
    expect(lines((await run(['blob', 'get', hash, copy, '--json'])).stdout)).toEqual([
      { hash, size: (await stat(file)).size, path: copy },
    ]);
    expect(await readFile(copy, 'utf8')).toBe(await readFile(file, 'utf8'));
    expect(lines((await run(['blob', 'delete', hash, '--json'])).stdout)).toEqual([
      { hash, deleted: true },
    ]);
    const missing = await run(['blob', 'get', hash, path.join(root, 'again.txt')]);
    expect(missing.code).toBe(4);
  });
});

describe('result commands', () => {
  it('waits (exit 5 on timeout), gets, deletes; processors put', async () => {
    const { run, root } = await sandbox();
    const key = (await run(['task', 'put', await makeTaskDir(undefined, HELD)])).stdout.trim();
    const timeout = await run(['result', 'wait', key, '--timeout', '200m']);
    expect(timeout.code).toBe(5);
    expect(timeout.stderr).toContain(`Task ${key} did not end within 200 ms (it is queued)`);
    expect((await run(['result', 'get', key, path.join(root, 'early')])).code).toBe(4);

    const [claim] = (await claimTasks(foreman, { tags: ['held'] })).filter(
      (one) => one.key === key,
    );
    const resultDir = path.join(root, 'posted');
    await mkdir(resultDir);
    await writeFile(path.join(resultDir, 'out.txt'), 'out\n');
    await writeFile(
      path.join(resultDir, 'kolejka_result.json'),
      JSON.stringify({ result: 0, files: { 'out.txt': null } }),
    );
    const put = await run(
      ['result', 'put', key, resultDir, '--attempt', String(claim?.attempt), '--json'],
      {
        env: { KOLEJKA_TOKEN: foreman.token },
      },
    );
    expect(put.code).toBe(0);
    expect(lines(put.stdout)).toEqual([
      { key, attempt: claim?.attempt, result: expect.objectContaining({ taskKey: key }) },
    ]);

    const wait = await run(['result', 'wait', key, '--json']);
    expect(wait.code).toBe(0);
    expect(lines(wait.stdout)).toEqual([{ key, state: 'finished', attempt: 1, via: 'events' }]);
    const target = path.join(root, 'result');
    const get = await run(['result', 'get', key, target, '--json']);
    expect(lines(get.stdout)).toEqual([
      {
        key,
        dir: target,
        files: ['out.txt'],
        exitCode: 0,
        result: expect.objectContaining({ id: key, result: 0 }),
      },
    ]);
    expect(await readdir(target)).toEqual(['kolejka_result.json', 'out.txt']);
    const human = await run(['result', 'get', key, target]);
    expect(human.stdout).toBe(`${key}: exit 0; result in ${target}\n`);
    expect(lines((await run(['result', 'delete', key, '--json'])).stdout)).toEqual([
      { key, deleted: true },
    ]);
  });

  it('exits 7 when the task ends without a result', async () => {
    const { run } = await sandbox();
    const key = (await run(['task', 'put', await makeTaskDir(undefined, HELD)])).stdout.trim();
    await run(['task', 'cancel', key]);
    const wait = await run(['result', 'wait', key]);
    expect(wait.code).toBe(7);
    expect(wait.stdout).toMatch(new RegExp(`^${key} cancelled: cancelled by`));
  });
});

describe('execute', () => {
  it('prints the key, the states and a summary; exits 0 when the command exited 0', async () => {
    const { run, root } = await sandbox();
    const taskDir = await makeTaskDir();
    const resultDir = path.join(root, 'result');
    const done = await run(['execute', taskDir, resultDir]);
    expect(done.code).toBe(0);
    const [key, ...rest] = done.stdout.trim().split('\n');
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(rest[rest.length - 1]).toBe(
      `${key} finished: exit 0 (exited), time 0.250s, memory 4.0 MiB; result in ${resultDir}`,
    );
    // The end is told by the summary, not by a separate state line.
    expect(rest).not.toContain(`${key} finished`);
    for (const line of rest.slice(0, -1))
      expect(line).toMatch(new RegExp(`^${key} (queued|assigned|running)$`));
    expect(await readFile(path.join(resultDir, 'console.txt'), 'utf8')).toBe(`ran ${key}\n`);
  });

  it('exits 1 when the command failed; --json streams events; --consume removes the task dir', async () => {
    const { run, root } = await sandbox();
    const taskDir = await makeTaskDir(undefined, { environment: { FAKE_EXIT: '137' } });
    const resultDir = path.join(root, 'result');
    const done = await run(['execute', taskDir, resultDir, '--json', '--consume']);
    expect(done.code).toBe(1);
    const events = lines(done.stdout) as { event: string; key: string }[];
    expect(events[0]).toEqual({
      event: 'submitted',
      key: expect.stringMatching(/^[0-9a-f]{32}$/),
      state: 'queued',
    });
    expect(events.filter((event) => event.event === 'state').length).toBeGreaterThan(0);
    expect(events[events.length - 1]).toEqual({
      event: 'done',
      key: events[0]?.key,
      state: 'finished',
      exitCode: 137,
      termination: 'memory_limit',
      timeSeconds: 0.25,
      memoryBytes: 4194304,
      resultDir,
    });
    await expect(stat(taskDir)).rejects.toThrow(/ENOENT/);
    expect(await readdir(resultDir)).toEqual(['console.txt', 'kolejka_result.json']);
  });

  it('times out with exit 5, saying where the task is', async () => {
    const { run, root } = await sandbox();
    const done = await run([
      'execute',
      await makeTaskDir(undefined, HELD),
      path.join(root, 'r'),
      '--timeout',
      '0.3',
    ]);
    expect(done.code).toBe(5);
    expect(done.stderr).toMatch(
      /did not finish within 300 ms \(task [0-9a-f]{32} is queued on the server\)/,
    );
  });

  it('exits 130 when interrupted, saying the task stays on the server', async () => {
    const { env, etcDir, root } = await sandbox();
    const interrupt = new AbortController();
    const running = runClient(
      ['execute', await makeTaskDir(undefined, HELD), path.join(root, 'r')],
      {
        env,
        etcDir,
        signal: interrupt.signal,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    interrupt.abort();
    const done = await running;
    expect(done.code).toBe(130);
    const key = done.stdout.split('\n')[0] as string;
    expect(done.stderr).toContain(`Interrupted; task ${key} stays on the server`);
  });

  it('runs kolejka-judge style, as a real process: kolejka-client execute TASK RESULT', async () => {
    const { env, root } = await sandbox();
    const resultDir = path.join(root, 'judge-result');
    const done = await spawnClient(['execute', await makeTaskDir(), resultDir], { env });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    const spec = JSON.parse(
      await readFile(path.join(resultDir, 'kolejka_result.json'), 'utf8'),
    ) as {
      result: number;
      files: Record<string, { path: string }>;
    };
    expect(spec.result).toBe(0);
    expect(spec.files['console.txt']?.path).toBe('console.txt');
  });
});

describe('servers', () => {
  it('exits 6 with the URLs tried when the server is down, also as a real process', async () => {
    const { run, env } = await sandbox();
    const dead = await deadUrl();
    const inProcess = await run(['task', 'list'], { env: { KOLEJKA_SERVER: dead } });
    expect(inProcess.code).toBe(6);
    expect(inProcess.stderr).toContain(`Cannot reach the Kolejka server for GET /api/v1/tasks`);
    expect(inProcess.stderr).toContain(`${dead} (connect ECONNREFUSED`);
    const real = await spawnClient(['execute', await makeTaskDir(), '/tmp/never'], {
      env: { ...env, KOLEJKA_SERVER: dead },
    });
    expect(real.code).toBe(6);
    expect(real.stderr).toContain(dead);
  });

  it('fails over from a dead URL to a live one', async () => {
    const { run, root } = await sandbox();
    const dead = await deadUrl();
    const done = await run(['execute', await makeTaskDir(), path.join(root, 'r'), '-q'], {
      env: { KOLEJKA_SERVER: `${dead},${server.url}` },
    });
    expect(done.code).toBe(0);
    expect(done.stdout).toBe('');
    expect(await readdir(path.join(root, 'r'))).toContain('kolejka_result.json');
  });
});

describe('login and configuration', () => {
  it('logs in, stores the token with mode 0600 and uses it', async () => {
    const { run, root, user } = await sandbox({ withToken: false });
    const login = await run(['login', '--username', user.username, '--password-stdin', '--json'], {
      stdin: `${user.password}\n`,
    });
    expect(login.code).toBe(0);
    const file = path.join(root, 'home/.config/kolejka/client.json');
    expect(lines(login.stdout)).toEqual([
      {
        server: [server.url],
        username: user.username,
        roles: ['client'],
        tokenId: expect.any(String),
        configFile: file,
      },
    ]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { tokens: Record<string, string> };
    expect(stored.tokens[server.url]).toMatch(/^kolejka_/);

    const show = await run(['config', 'show', '--json']);
    const [shown] = lines(show.stdout) as [
      { settings: Record<string, { value: unknown; source: string }> },
    ];
    expect(shown.settings.token?.source).toBe(`${file} tokens[${JSON.stringify(server.url)}]`);
    expect(shown.settings.token?.value).not.toContain(stored.tokens[server.url]);
    expect((await run(['task', 'list'])).code).toBe(0);

    const wrong = await run(['login', '--username', user.username, '--password-stdin'], {
      stdin: 'nope\n',
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('Wrong user name or password');
  });

  it('shows each setting with where it came from (INI < JSON < env < flags)', async () => {
    const { run, root, env } = await sandbox();
    const confDir = path.join(root, 'home/.config/kolejka');
    await mkdir(confDir, { recursive: true });
    await writeFile(
      path.join(confDir, 'kolejka.conf'),
      '[default]\nconfig = mine\n[mine]\nserver = http://ini:1\nmemory = 1G\ntime = 20s\npids = 10\n',
    );
    await writeFile(path.join(confDir, 'client.json'), JSON.stringify({ limits: { time: '5s' } }));
    const show = await run(['config', 'show', '--json'], {
      env: { KOLEJKA_TOKEN: 'kolejka_abcdefghijklmnopqrstuvwxyz' },
    });
    const [shown] = lines(show.stdout) as [
      {
        settings: Record<string, { value: unknown; source: string }>;
        files: Record<string, unknown>;
      },
    ];
    expect(shown.settings).toEqual({
      server: { value: [env.KOLEJKA_SERVER], source: 'env KOLEJKA_SERVER' },
      token: { value: 'kolejka_… (34 characters)', source: 'env KOLEJKA_TOKEN' },
      'limits.memory': { value: '1073741824b', source: `${confDir}/kolejka.conf [mine] memory` },
      'limits.pids': { value: 10, source: `${confDir}/kolejka.conf [mine] pids` },
      'limits.time': { value: '5.0s', source: `${confDir}/client.json limits.time` },
    });
    expect(shown.files).toMatchObject({
      kolejkaConf: `${confDir}/kolejka.conf`,
      kolejkaConfSection: 'mine',
      clientJsonExists: true,
    });
    const flagged = await run(['config', 'show', '--server', 'http://flag:1', '--config', 'other']);
    expect(flagged.stdout).toMatch(/^server\s+http:\/\/flag:1\s+\(flag --server\)$/m);
    expect(flagged.stderr).toContain('config section not found');
  });

  it('uses an original kolejka.conf with only a user name and password', async () => {
    const { run, root, user } = await sandbox({ withToken: false });
    const conf = path.join(root, 'kolejka.conf');
    await writeFile(
      conf,
      `[client]\nserver = ${server.url}\nusername = ${user.username}\npassword = ${user.password}\n`,
    );
    const put = await run(
      ['--config-file', conf, 'task', 'put', await makeTaskDir(undefined, HELD)],
      {
        env: { KOLEJKA_SERVER: '' },
      },
    );
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(put.stdout.trim()).toMatch(/^[0-9a-f]{32}$/);
  });
});
