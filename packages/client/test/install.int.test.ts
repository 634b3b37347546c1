import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTaskDir, removeTempDirs, tempDir } from './support/fixtures.js';
import {
  describeTarball,
  startRegistryStub,
  type PackedPackage,
  type RegistryStub,
} from './support/registry-stub.js';

/*
 * `npm i -g @kolejka/client` as a user runs it. Nothing is published from here, so the
 * packages are packed with `pnpm pack` (which turns workspace: and catalog: references into
 * versions) and served by a registry stub that sends every other package to the registry npm is
 * configured with (`npm config get registry`).
 * Slow (npm downloads the dependencies; better-sqlite3 compiles, about a minute).
 */

const run = promisify(execFile);
const packagesDir = fileURLToPath(new URL('../..', import.meta.url));
// The server needs spec; the CLIs need cli-kit; the foreman needs client, worker and observer.
const PACKAGES = [
  'spec',
  'cli-kit',
  'client',
  'observer',
  'worker',
  'dashboard',
  'server',
  'foreman',
];
const INSTALLED = ['@kolejka/client', '@kolejka/server', '@kolejka/foreman'];

let registry: RegistryStub;
let prefix: string;
let packed: PackedPackage[];

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** Builds a package whose dist is missing or older than its sources (CI builds first). */
async function ensureBuilt(name: string): Promise<void> {
  const dir = path.join(packagesDir, name);
  // The dashboard builds a page (index.html), the others a module (index.js).
  const output = name === 'dashboard' ? 'index.html' : 'index.js';
  const built = await stat(path.join(dir, 'dist', output)).catch(() => undefined);
  if (built !== undefined && built.mtimeMs >= (await newestMtime(path.join(dir, 'src')))) return;
  await run('pnpm', ['run', 'build'], { cwd: dir, timeout: 300_000 });
}

function bin(name: string): string {
  return path.join(prefix, 'bin', name);
}

async function exec(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, {
      env: { PATH: `${path.join(prefix, 'bin')}:${process.env.PATH ?? ''}`, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

beforeAll(async () => {
  const packDir = await tempDir('kolejka-test-client-pack-');
  packed = [];
  for (const name of PACKAGES) {
    await ensureBuilt(name);
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', packDir], {
      cwd: path.join(packagesDir, name),
      timeout: 120_000,
    });
    const tarball = stdout.trim().split('\n').pop() as string;
    packed.push(
      await describeTarball(
        path.isAbsolute(tarball) ? tarball : path.join(packDir, path.basename(tarball)),
      ),
    );
  }
  registry = await startRegistryStub(packed);
  prefix = await tempDir('kolejka-test-client-prefix-');
  const log = path.join(prefix, 'npm-install.log');
  try {
    const { stdout, stderr } = await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--registry',
        registry.url,
        '--no-audit',
        '--no-fund',
        '--loglevel',
        'warn',
        ...INSTALLED,
      ],
      { cwd: prefix, timeout: 540_000, maxBuffer: 64 * 1024 * 1024 },
    );
    await writeFile(log, `${stdout}\n${stderr}`);
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`npm install failed:\n${(failed.stderr ?? '').slice(-4000)}`, { cause: error });
  }
}, 600_000);

afterAll(async () => {
  await registry?.close();
  await removeTempDirs();
});

describe('npm install -g', () => {
  it('packs every package with versions instead of workspace: and catalog: references', () => {
    for (const pkg of packed) {
      const dependencies = JSON.stringify(pkg.manifest.dependencies ?? {});
      expect(dependencies, pkg.name).not.toMatch(/workspace:|catalog:/);
    }
    const client = packed.find((pkg) => pkg.name === '@kolejka/client');
    expect(client?.manifest.dependencies).toMatchObject({ '@kolejka/spec': '^0.1.0' });
    // npm had to ask the stub for @kolejka/spec: it came from a registry, not a path.
    expect(registry.served.some((served) => /^\/@kolejka(%2f|\/)spec$/i.test(served))).toBe(true);
  });

  it('gives a working kolejka-client and kolejka-foreman', async () => {
    const client = await exec(bin('kolejka-client'), ['--help']);
    expect(client.stderr).toBe('');
    expect(client.code).toBe(0);
    expect(client.stdout).toContain('kolejka-client execute <task-dir> <result-dir>');
    const foreman = await exec(bin('kolejka-foreman'), ['--help']);
    expect(foreman.code).toBe(0);
    expect(foreman.stdout).toContain('kolejka-foreman');
  });

  it('puts and gets a task with the installed client against the installed server', async () => {
    const home = await tempDir('kolejka-test-client-home-');
    const serverHome = path.join(home, 'server');
    const admin = async (args: string[]) => {
      const done = await exec(bin('kolejka-server'), [...args, '--home', serverHome], {
        KOLEJKA_LOG_LEVEL: 'error',
      });
      expect(done.code, done.stderr).toBe(0);
      return done.stdout.trim();
    };
    await admin(['user', 'add', 'alice', '--role', 'client']);
    const token = await admin(['token', 'create', 'alice']);
    const server = spawn(bin('kolejka-server'), ['serve', '--port', '0', '--home', serverHome], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', KOLEJKA_LOG_LEVEL: 'warn' },
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the installed server did not start')),
          30_000,
        );
        createInterface({ input: server.stdout }).on('line', (line) => {
          const listening = (JSON.parse(line) as { listening?: string }).listening;
          if (listening !== undefined) {
            clearTimeout(timer);
            resolve(listening);
          }
        });
        server.once('exit', (code) => reject(new Error(`the installed server exited (${code})`)));
      });
      const env = { HOME: home, KOLEJKA_SERVER: url, KOLEJKA_TOKEN: token };
      const taskDir = await makeTaskDir({ 'run.sh': 'echo installed\n' });
      const put = await exec(bin('kolejka-client'), ['task', 'put', taskDir], env);
      expect(put.stderr).toBe('');
      const key = put.stdout.trim();
      expect(key).toMatch(/^[0-9a-f]{32}$/);
      const copy = path.join(home, 'copy');
      const get = await exec(bin('kolejka-client'), ['task', 'get', key, copy, '--json'], env);
      expect(get.code, get.stderr).toBe(0);
      expect(await readFile(path.join(copy, 'run.sh'), 'utf8')).toBe('echo installed\n');
      const spec = JSON.parse(await readFile(path.join(copy, 'kolejka_task.json'), 'utf8')) as {
        id: string;
      };
      expect(spec.id).toBe(key);
    } finally {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = once(server, 'exit');
        server.kill('SIGTERM');
        await exited;
      }
    }
  });
});
