import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KolejkaError,
  parseTask,
  readResult,
  readTask,
  writeResult,
  writeTask,
} from '../src/index.js';
import { fixture } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kolejka-spec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('task and result directories', () => {
  it('writes kolejka_task.json exactly as the original does and reads it back', async () => {
    const task = parseTask(JSON.parse(fixture('task-canonical.json')));
    const written = await writeTask(path.join(dir, 'task'), task);
    expect(written).toBe(path.join(dir, 'task', 'kolejka_task.json'));
    expect(await readFile(written, 'utf8')).toBe(fixture('task-canonical.json'));
    expect(await readTask(path.join(dir, 'task'))).toEqual(task);
    expect(await readdir(path.join(dir, 'task'))).toEqual(['kolejka_task.json']); // no temp file left
  });

  it('writes results with the requested mode', async () => {
    await writeResult(
      dir,
      {
        tags: [],
        limits: {},
        stats: { cpu: {}, cpus: {}, memory: {}, pids: {}, perf: {}, gpus: {} },
        files: {},
        result: 0,
      },
      { mode: 0o640 },
    );
    expect((await stat(path.join(dir, 'kolejka_result.json'))).mode & 0o777).toBe(0o640);
    expect((await readResult(dir)).result).toBe(0);
  });

  it('says which directory lacks a spec file', async () => {
    await expect(readTask(dir)).rejects.toMatchObject({
      code: 'KOLEJKA_NOT_FOUND',
      message: expect.stringContaining(dir),
    });
  });

  it('names the file and the position of broken JSON', async () => {
    await writeFile(path.join(dir, 'kolejka_task.json'), '{"image": "x",}');
    const error: unknown = await readTask(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KolejkaError);
    expect(error).toMatchObject({ code: 'KOLEJKA_VALIDATION' });
    expect((error as KolejkaError).message).toContain(path.join(dir, 'kolejka_task.json'));
    expect((error as KolejkaError).message).toMatch(/is not valid JSON/);
  });

  it('names the file and the field of a bad value', async () => {
    await writeFile(path.join(dir, 'kolejka_result.json'), '{"limits": {"time": "soon"}}');
    await expect(readResult(dir)).rejects.toThrow(
      `Invalid ${path.join(dir, 'kolejka_result.json')}: limits.time "soon" is not a valid time`,
    );
  });
});
