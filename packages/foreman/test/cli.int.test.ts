import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TS_NODE_ARGS } from '../../server/test/support/ts-loader.js';
import { Cluster, type ServerHandle } from './support/cluster.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function foreman(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KOLEJKA_LOG_LEVEL: 'warn', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

let cluster: Cluster;
let server: ServerHandle;
beforeAll(async () => {
  cluster = await Cluster.create();
  server = await cluster.startServer();
}, 60_000);
afterAll(() => cluster.close());

describe('kolejka-foreman', () => {
  it('explains every option in --help', async () => {
    const { code, stdout } = await foreman(['--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--server',
      '--token',
      '--tags',
      '--concurrency',
      '--cpus',
      '--memory',
      '--swap',
      '--pids',
      '--storage',
      '--workspace',
      '--image',
      '--gpus',
      '--gpu-memory',
      '--time',
      '--temp',
      '--pull',
      '--id',
      '--auto-tags',
      '--config-file',
      '--output-limit',
      '--blob-cache',
      '--print-config',
    ])
      expect(stdout).toContain(flag);
    expect(stdout).toMatch(/SIGTERM or SIGINT drains/);
  });

  it('prints the effective settings: the machine lowered by flags, tags, id', async () => {
    const { code, stdout, stderr } = await foreman(
      [
        '--print-config',
        '--server',
        server.url,
        '--token',
        'x',
        '--cpus',
        '1',
        '--memory',
        '1G',
        '--tags',
        'a,b',
        '--id',
        'n1',
        '--no-auto-tags',
      ],
      { KOLEJKA_FOREMAN_TEMP: '/tmp/kolejka-test-foreman-print' },
    );
    expect(code, stderr).toBe(0);
    const printed = JSON.parse(stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({
      id: 'n1',
      tags: ['a', 'b'],
      servers: [server.url],
      capacity: { cpus: 1, memory: '1073741824b' },
      tempDir: '/tmp/kolejka-test-foreman-print',
      hasToken: true,
      concurrency: null,
    });
    expect(stdout).not.toContain('"x"'); // the token is never printed
  });

  it('answers a bad value with exit 2 naming the flag', async () => {
    const { code, stderr } = await foreman(['--memory', '64Mi']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^kolejka-foreman: --memory: /);
    expect((await foreman(['--no-such-flag'])).code).toBe(2);
  });

  it('stops with exit 1 and the reason when the token is refused or Docker is absent', async () => {
    const temp = `${cluster.home}/cli-temp`;
    const refused = await foreman([
      '--server',
      server.url,
      '--token',
      'kolejka_wrong',
      '--temp',
      temp,
      '--id',
      'cli-1',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kolejka-foreman: .*HTTP 401.*processor role/);
    const noDocker = await foreman(
      ['--server', server.url, '--token', cluster.tokens.processor, '--temp', temp],
      {
        DOCKER_HOST: `unix://${cluster.home}/no-docker.sock`,
      },
    );
    expect(noDocker.code).toBe(1);
    expect(noDocker.stderr).toMatch(
      /^kolejka-foreman: Docker does not answer .*prepare-docker\.sh/,
    );
  });
});
