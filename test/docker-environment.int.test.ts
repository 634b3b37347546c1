import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { docker } from './support/docker-cli.js';

/**
 * The local images that scripts/prepare-docker.sh builds, started for real, with the
 * engine enforcing memory, pids and cpu limits on each of them.
 */
const IMAGES = [
  'kolejka-test/busybox:latest',
  'kolejka-test/debian:bookworm',
  'kolejka-test/gcc:bookworm',
];
const created: string[] = [];

afterAll(async () => {
  if (created.length > 0) await docker(['rm', '--force', ...created]);
});

function containerName(): string {
  const name = `kolejka-env-test-${randomBytes(4).toString('hex')}`;
  created.push(name);
  return name;
}

/** Compiles and runs a C program inside the gcc image (stdin: the source). */
const runC = (source: string): string[] => [
  'sh',
  '-c',
  `printf '%s' '${source}' > /tmp/p.c && gcc -O1 -pthread -o /tmp/p /tmp/p.c && exec /tmp/p`,
];

const MEMORY_HOG: Record<string, string[]> = {
  busybox: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'],
  debian: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'],
  gcc: runC(
    '#include <stdlib.h>\n#include <string.h>\nint main(void){for(;;){char*p=malloc(1<<20);if(!p)return 1;memset(p,1,1<<20);}}\n',
  ),
};

const FORK_LOOP: Record<string, string[]> = {
  busybox: ['sh', '-c', 'for i in $(seq 1 40); do sleep 5 & done; wait'],
  debian: ['sh', '-c', 'for i in $(seq 1 40); do sleep 5 & done; wait'],
  gcc: runC(
    '#include <stdio.h>\n#include <unistd.h>\nint main(void){for(int i=0;i<40;i++){if(fork()<0){puts("fork failed");return 7;}}sleep(1);return 0;}\n',
  ),
};

const kind = (image: string): string => image.split('/')[1]?.split(':')[0] ?? image;

describe.each(IMAGES)('image %s', (image) => {
  it('starts a container and runs a command in it', async () => {
    const run = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'echo started as $(id -u)',
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('started as 0');
  });

  it('OOM-kills an allocation over the memory limit (exit 137)', async () => {
    const name = containerName();
    const run = await docker([
      'run',
      '--name',
      name,
      '--memory',
      '48m',
      '--memory-swap',
      '48m',
      image,
      ...(MEMORY_HOG[kind(image)] ?? []),
    ]);
    expect(run.status).toBe(137);
    const state = await docker([
      'inspect',
      '--format',
      '{{.State.OOMKilled}} {{.State.ExitCode}}',
      name,
    ]);
    expect(state.stdout.trim()).toBe('true 137');
  });

  it('stops a fork loop at the pids limit', async () => {
    const run = await docker([
      'run',
      '--rm',
      '--pids-limit',
      '12',
      image,
      ...(FORK_LOOP[kind(image)] ?? []),
    ]);
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toMatch(
      /can't fork|Cannot fork|fork failed|Resource temporarily unavailable/i,
    );
  });

  it('confines the container to its cpuset and its CPU quota', async () => {
    const nproc = await docker(['run', '--rm', '--cpuset-cpus', '0', image, 'nproc']);
    expect(nproc.stdout.trim()).toBe('1');
    // A busy loop for 2 s of wall time under a quarter of a CPU gets about 0.5 s of CPU.
    const script =
      'timeout 2 sh -c "while :; do :; done"; ' +
      'cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null || ' +
      "awk '/usage_usec/ { print $2 * 1000 }' /sys/fs/cgroup/cpu.stat";
    const run = await docker(['run', '--rm', '--cpus', '0.25', image, 'sh', '-c', script]);
    const cpuSeconds = Number(run.stdout.trim()) / 1e9;
    expect(cpuSeconds).toBeGreaterThan(0.2);
    expect(cpuSeconds).toBeLessThan(0.9);
  });
});
