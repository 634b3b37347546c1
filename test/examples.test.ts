import { access, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertRunnable, canonicalJson, dumpTask, readTask, TASK_SPEC_FILE } from '@kolejka/spec';

const examplesDir = path.resolve(import.meta.dirname, '../examples');
const entries = await readdir(examplesDir, { withFileTypes: true });
const examples = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
const expected = JSON.parse(
  await readFile(path.join(examplesDir, 'expected.json'), 'utf8'),
) as Record<string, unknown>;

describe('examples', () => {
  it('are all described in expected.json, and nothing else is', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(expected).sort()).toEqual([...examples].sort());
  });

  it.each(examples)(
    '%s is a valid, runnable task in canonical form whose files exist',
    async (name) => {
      const dir = path.join(examplesDir, name);
      const task = await readTask(dir);
      assertRunnable(task);
      expect(await readFile(path.join(dir, TASK_SPEC_FILE), 'utf8')).toBe(
        canonicalJson(dumpTask(task)),
      );
      for (const file of Object.values(task.files)) {
        expect(file.path).toBeDefined();
        await access(path.join(dir, file.path ?? ''));
      }
      expect(task.image).toMatch(/^kolejka-test\//);
    },
  );
});
