import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = path.join(ROOT, 'scripts', 'quickstart.js');
let home: string | undefined;

afterAll(async () => {
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

/** Processes whose command line names `text` (what the script started, if it left any). */
async function processesNaming(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

describe('the README main job (pnpm start = scripts/quickstart.js)', () => {
  it('runs examples/hello through server, foreman and client, prints it, stops everything, exits 0', async () => {
    // It runs the built command-line tools, as `./scripts/setup.sh && pnpm start` does.
    for (const name of ['server', 'foreman', 'client']) {
      expect(
        existsSync(path.join(ROOT, 'packages', name, 'dist', 'cli.js')),
        `run pnpm build first (${name})`,
      ).toBe(true);
    }
    home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-foreman-quickstart-'));
    const child = spawn(process.execPath, [SCRIPT], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        KOLEJKA_QUICKSTART_HOME: home,
        KOLEJKA_QUICKSTART_CONTAINER_PREFIX: 'kolejka-test-foreman-quickstart-',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/kolejka-foreman "quickstart" is connected: cpus \d+/);
    expect(stdout).toMatch(/finished: exit 0 \(exited\)/);
    expect(stdout).toContain('Hello from Kolejka!');
    expect(stdout).toContain(`the result directory is ${path.join(home, 'result-hello')}`);
    const result = JSON.parse(
      await readFile(path.join(home, 'result-hello', 'kolejka_result.json'), 'utf8'),
    ) as {
      result: number;
    };
    expect(result.result).toBe(0);
    expect(await processesNaming(home)).toEqual([]);
  }, 120_000);
});
