import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * packages/server/Dockerfile built for real and run: health, non-root user, an admin made
 * with the image's CLI, a task through the API, a clean SIGTERM stop, and the data kept by
 * the volume for the next container. There is no registry here, so the official Node base
 * images are replaced (through the Dockerfile's build arguments) by the local stand-ins that
 * `scripts/prepare-docker.sh --with-node-images` builds from the host's node.
 */

const REPO = path.resolve(import.meta.dirname, '../../..');
const NODE_MAJOR = process.versions.node.split('.')[0] ?? '20';
const BUILD_IMAGE = `kolejka-test/node:${NODE_MAJOR}-bookworm`;
const RUNTIME_IMAGE = `kolejka-test/node:${NODE_MAJOR}-bookworm-slim`;
const SUFFIX = randomBytes(4).toString('hex');
const TAG = `kolejka-test-server-image:${SUFFIX}`;
const VOLUME = `kolejka-test-server-image-${SUFFIX}`;
const containers: string[] = [];

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves with its status, also when it is not zero. */
function run(
  file: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ status: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

async function docker(args: string[], input?: string): Promise<string> {
  const result = await run('docker', args, { input });
  if (result.status !== 0) {
    throw new Error(`docker ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout.trim();
}

/** Why this file cannot run here, or undefined when a Docker engine answers. */
async function dockerUnavailable(): Promise<string | undefined> {
  try {
    const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], {
      timeoutMs: 20_000,
    });
    return info.status === 0 ? undefined : `docker info failed: ${info.stderr.trim()}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * A docker CLI that builds with BuildKit (the Dockerfile's cache mounts need it): any CLI
 * with the buildx plugin, or a 20.10–22 CLI, which has BuildKit built in. Docker 23+ without
 * buildx only has the legacy builder; Debian's docker.io (/usr/bin/docker, installed by
 * scripts/prepare-docker.sh) is then the fallback.
 */
async function buildKitCli(): Promise<string> {
  const tried: string[] = [];
  for (const cli of ['docker', '/usr/bin/docker']) {
    const buildx = await run(cli, ['buildx', 'version']).catch(() => undefined);
    if (buildx?.status === 0) return cli;
    const version = await run(cli, ['version', '--format', '{{.Client.Version}}']).catch(
      () => undefined,
    );
    const major = Number(version?.stdout.trim().split('.')[0]);
    if (version?.status === 0 && major >= 18 && major < 23) return cli;
    tried.push(`${cli}: ${version?.stdout.trim() || 'missing'}, no buildx`);
  }
  throw new Error(`no docker CLI here builds with BuildKit (${tried.join('; ')}): install buildx`);
}

async function buildImage(): Promise<void> {
  const prepare = await run(path.join(REPO, 'scripts/prepare-docker.sh'), ['--with-node-images'], {
    timeoutMs: 15 * 60_000,
  });
  if (prepare.status !== 0) {
    throw new Error(
      `prepare-docker.sh --with-node-images failed:\n${prepare.stdout}${prepare.stderr}`,
    );
  }
  const cli = await buildKitCli();
  const started = Date.now();
  const build = await run(
    cli,
    [
      'build',
      '--progress=plain',
      '-f',
      'packages/server/Dockerfile',
      '--build-arg',
      `BUILD_IMAGE=${BUILD_IMAGE}`,
      '--build-arg',
      `RUNTIME_IMAGE=${RUNTIME_IMAGE}`,
      '-t',
      TAG,
      REPO,
    ],
    { env: { ...process.env, DOCKER_BUILDKIT: '1' }, timeoutMs: 20 * 60_000 },
  );
  if (build.status !== 0) {
    const tail = build.stderr.split('\n').slice(-60).join('\n');
    throw new Error(`${cli} build exited ${build.status}:\n${tail}`);
  }
  console.log(`built ${TAG} with ${cli} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Starts a server container on the volume; returns its base URL on an ephemeral port. */
async function startContainer(): Promise<{ name: string; url: string }> {
  const name = `kolejka-test-server-image-${SUFFIX}-${containers.length + 1}`;
  containers.push(name);
  // Only the interval changes: the check itself is the image's HEALTHCHECK command.
  await docker(
    ['run', '-d', '--name', name, '-p', '127.0.0.1::8000', '--health-interval', '1s'].concat([
      '-v',
      `${VOLUME}:/var/lib/kolejka`,
      TAG,
    ]),
  );
  const port = (await docker(['port', name, '8000/tcp'])).split('\n')[0]?.split(':').pop();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    // docker-proxy accepts at once and may hold a connection it cannot forward yet: time out.
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { name, url };
    const state = await docker(['inspect', '-f', '{{.State.Status}}', name]);
    if (state !== 'running' || Date.now() > deadline) {
      const logs = await run('docker', ['logs', '--tail', '40', name]);
      throw new Error(
        `${name} is ${state}, /healthz never answered:\n${logs.stdout}${logs.stderr}`,
      );
    }
    await sleep(250);
  }
}

async function stopCleanly(name: string): Promise<void> {
  const started = Date.now();
  await docker(['stop', '--time', '30', name]);
  const elapsedMs = Date.now() - started;
  const [status, exitCode] = (
    await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])
  ).split(' ');
  const logs = await run('docker', ['logs', '--tail', '5', name]);
  // 137 would mean docker had to SIGKILL it after the 30 s grace period.
  expect({ status, exitCode, logs: logs.stdout + logs.stderr }).toMatchObject({
    status: 'exited',
    exitCode: '0',
  });
  expect(elapsedMs).toBeLessThan(15_000);
}

const unavailable = await dockerUnavailable();
if (unavailable !== undefined) console.log(`skipped: the server image tests: ${unavailable}`);

describe.skipIf(unavailable !== undefined)(
  'the kolejka-server Docker image',
  () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const script = Buffer.from('echo hello from the image test\n');
    const hash = createHash('sha256').update(script).digest('hex');
    let first: { name: string; url: string };
    let token = '';
    let key = '';
    const api = (url: string, route: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${url}${route}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
      });

    beforeAll(async () => {
      await buildImage();
      await docker(['volume', 'create', VOLUME]);
      first = await startContainer();
    }, 25 * 60_000);

    afterAll(async () => {
      if (containers.length > 0) await run('docker', ['rm', '--force', '--volumes', ...containers]);
      await run('docker', ['volume', 'rm', '--force', VOLUME]);
      await run('docker', ['rmi', '--force', TAG]);
    }, 120_000);

    it('declares the non-root user, the volume, the port and a health check on /healthz', async () => {
      const config = JSON.parse(
        await docker(['image', 'inspect', '-f', '{{json .Config}}', TAG]),
      ) as {
        User: string;
        Volumes: Record<string, unknown>;
        ExposedPorts: Record<string, unknown>;
        Healthcheck: { Test: string[] };
      };
      expect(config.User).toBe('kolejka');
      expect(Object.keys(config.Volumes)).toEqual(['/var/lib/kolejka']);
      expect(Object.keys(config.ExposedPorts)).toEqual(['8000/tcp']);
      expect(config.Healthcheck.Test.join(' ')).toContain('/healthz');
    });

    it('runs the server as uid 10001, unable to change its own code', async () => {
      const status = await docker(['exec', first.name, 'cat', '/proc/1/status']);
      expect(status).toMatch(/^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
      const write = await run('docker', ['exec', first.name, 'touch', '/opt/kolejka-server/x']);
      expect(write.status).not.toBe(0);
    });

    it('serves the built dashboard at /ui/ and its hashed assets', async () => {
      const page = await fetch(`${first.url}/ui/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const asset = await fetch(`${first.url}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
    });

    it('adds an admin with the CLI in the running container and takes a task over the API', async () => {
      const add = ['exec', '-i', first.name, 'kolejka-server', 'user', 'add', 'admin'];
      await docker([...add, '--role', 'admin', '--password-stdin'], `${password}\n`);
      const login = await fetch(`${first.url}/api/v1/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      expect(login.status).toBe(201);
      token = ((await login.json()) as { token: string }).token;
      const upload = await api(first.url, `/api/v1/blobs/${hash}`, { method: 'PUT', body: script });
      expect(upload.status).toBe(201);
      const task = { image: 'kolejka-test/busybox:latest', args: ['sh', 'run.sh'] };
      const submit = await api(first.url, '/api/v1/tasks', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ task: { ...task, files: { 'run.sh': { reference: hash } } } }),
      });
      expect(submit.status).toBe(201);
      const created = (await submit.json()) as { key: string; state: string };
      expect(created.state).toBe('queued');
      key = created.key;
    });

    it('reports healthy through the image HEALTHCHECK', async () => {
      const deadline = Date.now() + 60_000;
      let health = '';
      while (Date.now() < deadline) {
        health = await docker(['inspect', '-f', '{{.State.Health.Status}}', first.name]);
        if (health === 'healthy') break;
        await sleep(500);
      }
      expect(health).toBe('healthy');
    });

    it('exits 0 on SIGTERM, and the next container on the volume has the data', async () => {
      expect(key).not.toBe('');
      await stopCleanly(first.name);
      const second = await startContainer();
      const task = await api(second.url, `/api/v1/tasks/${key}`);
      expect(task.status).toBe(200);
      const body = (await task.json()) as { state: string; spec: { files: object } };
      expect(body.state).toBe('queued');
      expect(body.spec.files).toEqual({ 'run.sh': { reference: hash } });
      const blob = await api(second.url, `/api/v1/blobs/${hash}`);
      expect(Buffer.from(await blob.arrayBuffer())).toEqual(script);
      expect(await docker(['exec', second.name, 'kolejka-server', 'user', 'list'])).toContain(
        'admin',
      );
      await stopCleanly(second.name);
    });
  },
  180_000,
);
