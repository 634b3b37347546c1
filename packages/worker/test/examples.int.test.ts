import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResult, type ResultSpec } from '@kolejka/spec';
import { TIME_SLACK } from '../../../test/support/time-slack.js';
import { createWorker } from '../src/worker.js';
import { EXAMPLES_DIR, containersNamed, leftoverCgroups, scratch } from './support/fixtures.js';
import { probeHostCgroups } from './support/host-cgroups.js';

interface Expected {
  result: number;
  termination: string;
  console: string;
  files?: string[];
}

const expected = JSON.parse(
  await readFile(path.join(EXAMPLES_DIR, 'expected.json'), 'utf8'),
) as Record<string, Expected>;
const MiB = 1024 * 1024;
// The task cannot set the worker's output cap; a modest one keeps outputbomb quick here.
const OUTPUT_LIMIT = 1 * MiB;

let tmp: Awaited<ReturnType<typeof scratch>>;
const worker = createWorker();
const results = new Map<string, ResultSpec>();

beforeAll(async () => {
  tmp = await scratch('examples');
});

afterAll(async () => {
  await worker.close();
  await tmp.cleanup();
});

describe('every example runs through the library as expected.json says', () => {
  it.each(Object.keys(expected))(
    '%s',
    async (name) => {
      const want = expected[name] as Expected;
      const resultDir = path.join(tmp.dir, 'results', name);
      const returned = await worker.execute(path.join(EXAMPLES_DIR, name), resultDir, {
        tempDir: path.join(tmp.dir, 'jails'),
        outputLimitBytes: OUTPUT_LIMIT,
      });
      const result = await readResult(resultDir);
      results.set(name, result);
      expect(result).toEqual(returned);
      expect({ result: result.result, termination: result.termination?.reason }).toEqual({
        result: want.result,
        termination: want.termination,
      });
      const console = await readFile(path.join(resultDir, 'console.txt'), 'utf8');
      expect(console).toContain(want.console);
      if (want.files) expect(Object.keys(result.files).sort()).toEqual([...want.files].sort());
      expect(result.files['console.txt']).toEqual({ path: 'console.txt' });
      // Stats within sensible bounds for every task.
      const { stats, limits } = result;
      expect(stats.time).toBeGreaterThan(0);
      expect(stats.time).toBeLessThan((limits.time ?? 60) + 0.1 * TIME_SLACK);
      expect(stats.cpu.usage).toBeGreaterThan(0);
      expect(stats.memory.max_usage).toBeGreaterThan(0);
      if (limits.memory !== undefined) {
        expect(stats.memory.max_usage).toBeLessThanOrEqual(limits.memory * 1.05);
      }
      if (limits.pids !== undefined) {
        expect(stats.pids.max_usage).toBeLessThanOrEqual(limits.pids);
      }
      expect(stats.memory.usage).toBeUndefined(); // final results keep maxima only
    },
    90_000,
  );
});

describe('measured against the limits', () => {
  it('rambomb peaks within 5% of its 256 MiB', () => {
    const max = results.get('rambomb')?.stats.memory.max_usage ?? 0;
    expect(Math.abs(max - 256 * MiB)).toBeLessThanOrEqual(0.05 * 256 * MiB);
  });

  it('timebomb is killed within 100 ms of its 3 s (the time-limit precision)', () => {
    const time = results.get('timebomb')?.stats.time ?? 0;
    expect(time).toBeGreaterThanOrEqual(3);
    expect(time - 3).toBeLessThan(0.1 * TIME_SLACK);
  });

  it('forkbomb reaches its pids limit of 64', () => {
    expect(results.get('forkbomb')?.stats.pids.max_usage).toBeGreaterThanOrEqual(60);
  });

  it('forkbomb reports the refused threads (read at its exit) and pids_limit', () => {
    const forkbomb = results.get('forkbomb');
    expect(forkbomb?.stats.pids.failures).toBeGreaterThan(0);
    expect(forkbomb?.termination?.reason).toBe('pids_limit');
  });

  it("rambomb's memory peak is its own: never above its limit", () => {
    const rambomb = results.get('rambomb');
    expect(rambomb?.stats.memory.max_usage).toBeLessThanOrEqual(rambomb?.limits.memory ?? 0);
  });

  it('says no limit unenforced and no stat sampled where the kernel limits swap and keeps the peaks', async () => {
    // This host (cgroup v1 with memsw, Linux 6.x) has both; a v2 host before 5.19 would not.
    const host = await probeHostCgroups();
    const rambomb = results.get('rambomb'); // memory 256 MiB, swap 0
    if (host.hasSwapAccounting) {
      expect(rambomb?.unenforced_limits).toBeUndefined();
      expect(rambomb?.limits.swap).toBe(0);
    } else {
      expect(rambomb?.unenforced_limits).toEqual(['swap']);
      expect(rambomb?.limits).not.toHaveProperty('swap');
    }
    expect(results.size).toBe(Object.keys(expected).length);
    for (const result of results.values()) {
      if (host.peaksWithoutCounter.length === 0) expect(result.sampled_stats).toBeUndefined();
      else expect(result.sampled_stats).toEqual(host.peaksWithoutCounter);
    }
  });

  it('outputbomb stops at the output cap, with the file truncated there', async () => {
    const size = (await readFile(path.join(tmp.dir, 'results', 'outputbomb', 'console.txt')))
      .length;
    expect(size).toBe(OUTPUT_LIMIT);
  });

  it('collect never copied /etc/shadow', async () => {
    const shadow = await readFile('/etc/shadow', 'utf8').catch(() => 'root:');
    const dir = path.join(tmp.dir, 'results', 'collect');
    for (const name of Object.keys(results.get('collect')?.files ?? {})) {
      expect(await readFile(path.join(dir, name), 'utf8')).not.toContain(shadow.slice(0, 5));
    }
  });

  it('leaves the host as it was: no containers, cgroups, jails or mounts; it still forks', async () => {
    // Only this file's tasks: other packages' tests may run workers at the same time.
    const ids = [...results.values()].map((result) => result.id ?? '');
    expect(ids).toHaveLength(Object.keys(expected).length);
    for (const id of ids) expect(await containersNamed(`kolejka-worker-${id}-`)).toEqual([]);
    // Slices (systemd driver) name the id without its dashes.
    const alnum = (text: string): string => text.replace(/[^a-zA-Z0-9]/g, '');
    expect(
      (await leftoverCgroups()).filter((dir) => ids.some((id) => alnum(dir).includes(alnum(id)))),
    ).toEqual([]);
    expect(await readdir(path.join(tmp.dir, 'jails'))).toEqual([]);
    expect(await readFile('/proc/mounts', 'utf8')).not.toContain(tmp.dir);
    expect(execFileSync('sh', ['-c', 'echo forks']).toString()).toBe('forks\n');
  });
});
