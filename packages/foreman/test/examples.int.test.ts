import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResult } from '@kolejka/spec';
import {
  Cluster,
  EXAMPLES_DIR,
  type ForemanProcess,
  type ServerHandle,
} from './support/cluster.js';

interface Expected {
  result: number;
  termination: string;
  console: string;
  files?: string[];
}

const expected = JSON.parse(
  await readFile(path.join(EXAMPLES_DIR, 'expected.json'), 'utf8'),
) as Record<string, Expected>;

let cluster: Cluster;
let server: ServerHandle;
let foreman: ForemanProcess;
const runs = new Map<string, Promise<{ code: number | null; stdout: string; stderr: string }>>();

beforeAll(async () => {
  cluster = await Cluster.create();
  server = await cluster.startServer();
  foreman = await cluster.startForeman('examples', [server.url], ['--tags', 'examples']);
  // Every example is submitted at once, as `kolejka-client execute` (what kolejka-judge runs).
  for (const name of Object.keys(expected)) {
    runs.set(
      name,
      cluster.runClient(server.url, [
        'execute',
        path.join(EXAMPLES_DIR, name),
        path.join(cluster.home, 'results', name),
      ]),
    );
  }
}, 60_000);

afterAll(async () => {
  await cluster.close();
});

describe('every example through server, foreman and `kolejka-client execute`', () => {
  it.each(Object.keys(expected))(
    '%s',
    async (name) => {
      const want = expected[name] as Expected;
      const run = await runs.get(name);
      // The client exits 0 when the command exited 0, 1 when it ran but failed.
      expect(run?.code, run?.stderr).toBe(want.result === 0 ? 0 : 1);
      const resultDir = path.join(cluster.home, 'results', name);
      const result = await readResult(resultDir);
      expect({ result: result.result, termination: result.termination?.reason }).toEqual({
        result: want.result,
        termination: want.termination,
      });
      expect(await readFile(path.join(resultDir, 'console.txt'), 'utf8')).toContain(want.console);
      if (want.files) expect(Object.keys(result.files).sort()).toEqual([...want.files].sort());
      // The foreman stamps its tags and the CPUs it chose into the result.
      expect(result.tags).toContain('examples');
      expect(result.tags.some((tag) => tag.startsWith('hostname:'))).toBe(true);
      expect(result.limits.cpus_offset).toBeGreaterThanOrEqual(0);
      expect(run?.stdout).toMatch(/finished: exit \d+ \(\w+\)/);
    },
    180_000,
  );

  it('ran each example exactly once', async () => {
    await Promise.all(runs.values());
    const ran = foreman.ran();
    expect(ran.length).toBe(Object.keys(expected).length);
    expect(new Set(ran).size).toBe(ran.length);
    // The client printed each task's key first; the server stored one attempt of each.
    const client = cluster.client(server.url);
    const keys = await Promise.all(
      [...runs.values()].map(async (run) => (await run).stdout.split('\n')[0] as string),
    );
    expect([...keys].sort()).toEqual([...ran].sort());
    for (const key of keys) {
      expect(await client.getTaskRecord(key)).toMatchObject({ state: 'finished', attempt: 1 });
    }
  }, 180_000);
});
