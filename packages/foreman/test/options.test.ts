import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import { optionsFromFlags } from '../src/cli-flags.js';
import { resolveCapacity } from '../src/capacity.js';
import { detectMachine, readCgroupMemoryLimit, type MachineResources } from '../src/machine.js';
import { defaultForemanId, readForemanEnv, resolveForemanOptions } from '../src/options.js';

const GiB = 1024 ** 3;
const machine: MachineResources = {
  cpus: 8,
  memoryBytes: 32 * GiB,
  gpus: [
    { index: 0, uuid: 'GPU-a', name: 'NVIDIA A100 80GB PCIe', memoryBytes: 80 * GiB },
    { index: 1, uuid: 'GPU-b', name: 'NVIDIA A100 40GB PCIe', memoryBytes: 40 * GiB },
  ],
  hostname: 'node 7.example',
};

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-foreman-options-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

const envOf = (extra: Record<string, string> = {}) =>
  readForemanEnv({ HOME: home, XDG_CONFIG_DIRS: path.join(home, 'xdg'), ...extra });
const context = (extra: Record<string, string> = {}) => ({
  env: envOf(extra),
  etcDir: path.join(home, 'etc'),
  machine,
  autoTags: () => Promise.resolve(['cpus:8', 'hostname:node7']),
});

describe('resolveForemanOptions', () => {
  it('defaults to the machine: CPUs, memory, GPUs and the smallest GPU memory; id from the host name', async () => {
    const options = await resolveForemanOptions({ token: 't' }, context());
    expect(options.capacity).toEqual({
      cpus: 8,
      memory: 32 * GiB,
      gpus: 2,
      gpu_memory: 40 * GiB,
      workspace: 32 * GiB,
    });
    expect(options.id).toBe('node-7.example');
    expect(options.tags).toEqual(['cpus:8', 'hostname:node7']);
    expect(options.servers).toEqual(['http://127.0.0.1:8000']);
    expect(options.concurrency).toBe(Number.POSITIVE_INFINITY);
    expect(options.tempDir).toBe('/var/tmp/kolejka-foreman');
    expect(options.pull).toBe(false);
  });

  it("reads the original's kolejka.conf: [foreman] keys, the client section's server and credentials", async () => {
    const conf = path.join(home, '.config', 'kolejka', 'kolejka.conf');
    await mkdir(path.dirname(conf), { recursive: true });
    await writeFile(
      conf,
      [
        '[default]',
        'config = dev',
        '[dev]',
        'server = http://judge.example:8000/',
        'username = node',
        'password = secret',
        '[foreman]',
        'interval = 5',
        'concurency = 4',
        'cpus = 4',
        'gpus = 1',
        'memory = 4G',
        'pids = 4096',
        'time = 30',
        'image = 2G',
        'storage = 1G',
        'workspace = 2G',
        'tags = judge, fast',
        'auto_tags = false',
        'pull = yes',
        'temp = /srv/kolejka',
      ].join('\n'),
    );
    const options = await resolveForemanOptions({}, context());
    expect(options.sources.kolejkaConf).toBe(conf);
    expect(options.servers).toEqual(['http://judge.example:8000']);
    expect(options).toMatchObject({ username: 'node', password: 'secret' });
    expect(options.token).toBeUndefined();
    expect(options.capacity).toEqual({
      cpus: 4,
      gpus: 1,
      gpu_memory: 40 * GiB,
      memory: 4 * GiB,
      pids: 4096,
      time: 30,
      image: 2 * GiB,
      storage: GiB,
      workspace: 2 * GiB,
    });
    expect(options.concurrency).toBe(4);
    expect(options.tags).toEqual(['judge', 'fast']);
    expect(options.pull).toBe(true);
    expect(options.tempDir).toBe('/srv/kolejka');

    // Environment over the file, flags over both.
    const layered = await resolveForemanOptions(
      { tags: ['flag'], limits: { cpus: 2 }, tempDir: '/tmp/x' },
      context({
        KOLEJKA_SERVER: 'http://a:1,http://b:2',
        KOLEJKA_TOKEN: 'tok',
        KOLEJKA_FOREMAN_ID: 'from-env',
        KOLEJKA_FOREMAN_TAGS: 'env1,env2',
        KOLEJKA_FOREMAN_CONCURRENCY: '3',
      }),
    );
    expect(layered).toMatchObject({
      servers: ['http://a:1', 'http://b:2'],
      token: 'tok',
      id: 'from-env',
      tags: ['flag'],
      concurrency: 3,
      tempDir: '/tmp/x',
    });
    expect(layered.capacity.cpus).toBe(2);
    expect(layered.username).toBeUndefined();
  });

  it("tags cpus:N with the CPUs given by --cpus, not the machine's", async () => {
    const options = await resolveForemanOptions({ token: 't', limits: { cpus: 3 } }, context());
    expect(options.capacity.cpus).toBe(3);
    expect(options.tags).toEqual(['cpus:3', 'hostname:node7']);
  });

  it('names the file, section and key of a bad value', async () => {
    const conf = path.join(home, 'custom.conf');
    await writeFile(conf, '[foreman]\nmemory = 4Gi\n');
    const error = await resolveForemanOptions({ configFile: conf }, context()).catch(
      (caught: unknown) => caught,
    );
    expect(isKolejkaError(error, 'KOLEJKA_VALIDATION')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^${conf} \\[foreman\\] memory: `));
  });

  it('refuses an id the protocol cannot carry', async () => {
    await expect(resolveForemanOptions({ id: 'a b' }, context())).rejects.toThrow(/may only hold/);
    expect(defaultForemanId('host/name ü')).toBe('host-name--');
  });
});

describe('resolveCapacity', () => {
  it('only lowers what the machine bounds and ignores placements', () => {
    const warnings: string[] = [];
    const logger = {
      warn: (message: string) => warnings.push(message),
      error: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      child: () => logger,
    };
    const capacity = resolveCapacity(
      machine,
      { cpus: 64, memory: 8 * GiB, cpus_offset: 2, swap: GiB, network: false, gpus: 0 },
      logger,
    );
    expect(capacity).toEqual({
      cpus: 8,
      memory: 8 * GiB,
      swap: GiB,
      network: false,
      gpus: 0,
      workspace: machine.memoryBytes,
    });
    expect(warnings).toEqual([
      'configured capacity exceeds the machine; the machine value is used',
      'placement limits are chosen per task by the foreman; ignored',
    ]);
  });

  it('bounds the workspaces (tmpfs) of all tasks by the machine memory unless configured', () => {
    expect(resolveCapacity(machine, {}).workspace).toBe(machine.memoryBytes);
    expect(resolveCapacity(machine, { memory: GiB }).workspace).toBe(machine.memoryBytes);
    expect(resolveCapacity(machine, { workspace: 2 * GiB }).workspace).toBe(2 * GiB);
  });
});

describe('machine detection', () => {
  it('takes the lowest of physical memory and the cgroup limits', async () => {
    const detected = await detectMachine({
      availableParallelism: () => 3,
      totalMemory: () => 16 * GiB,
      constrainedMemory: () => 2 ** 64,
      cgroupMemoryLimit: () => Promise.resolve(6 * GiB),
      detectGpus: () => Promise.resolve([]),
      hostname: () => 'h',
    });
    expect(detected).toEqual({ cpus: 3, memoryBytes: 6 * GiB, gpus: [], hostname: 'h' });
  });

  it('reads v1 and v2 cgroup memory limits', async () => {
    const root = path.join(home, 'cgroup');
    await mkdir(path.join(root, 'memory', 'kolejka'), { recursive: true });
    await mkdir(path.join(root, 'unified', 'svc'), { recursive: true });
    await writeFile(path.join(root, 'memory', 'kolejka', 'memory.limit_in_bytes'), `${2 * GiB}\n`);
    await writeFile(path.join(home, 'v1'), '9:memory:/kolejka\n1:name=systemd:/\n');
    expect(await readCgroupMemoryLimit(path.join(home, 'v1'), root)).toBe(2 * GiB);
    await writeFile(path.join(root, 'unified', 'svc', 'memory.max'), 'max\n');
    await writeFile(path.join(home, 'v2'), '0::/unified/svc\n');
    expect(await readCgroupMemoryLimit(path.join(home, 'v2'), root)).toBeUndefined();
    await writeFile(path.join(root, 'unified', 'svc', 'memory.max'), '1048576\n');
    expect(await readCgroupMemoryLimit(path.join(home, 'v2'), root)).toBe(1048576);
    expect(await readCgroupMemoryLimit(path.join(home, 'missing'), root)).toBeUndefined();
  });
});

describe('command-line flags', () => {
  it('parse values in the task grammar and name the flag of a bad one', () => {
    expect(
      optionsFromFlags({
        server: 'http://a:1',
        cpus: '2',
        memory: '1.5G',
        time: '10M',
        network: 'false',
        tags: 'a, b',
        'auto-tags': false,
        concurrency: '3',
        'output-limit': '1M',
        temp: '/tmp/t',
      }),
    ).toEqual({
      server: 'http://a:1',
      limits: { cpus: 2, memory: 1.5 * GiB, time: 600, network: false },
      tags: ['a', 'b'],
      autoTags: false,
      concurrency: 3,
      outputLimitBytes: 1024 ** 2,
      tempDir: '/tmp/t',
    });
    expect(() => optionsFromFlags({ memory: '64Mi' })).toThrow(/^--memory: /);
    expect(() => optionsFromFlags({ concurrency: 'many' })).toThrow(/^--concurrency: /);
  });
});
