import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTask } from '@kolejka/spec';
import { createJail, removeJail } from '../src/task-files/jail.js';
import { scratch } from './support/fixtures.js';

describe('the workspace limit', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch('workspace-limit');
  });
  afterAll(() => tmp.cleanup());

  it('runs the task without it when no tmpfs can be mounted, and says so', async () => {
    const warnings: string[] = [];
    const logger = {
      error: () => undefined,
      warn: (message: string) => void warnings.push(message),
      info: () => undefined,
      debug: () => undefined,
      child: () => logger,
    };
    const mounted: [string, number][] = [];
    const jail = await createJail({
      tempDir: path.join(tmp.dir, 'jails'),
      task: parseTask({ image: 'busybox', args: ['true'] }),
      files: [],
      workspaceBytes: 16 * 1024 ** 2,
      consume: false,
      logger,
      mountWorkspace: (dir, bytes) => {
        mounted.push([dir, bytes]);
        return Promise.reject(new Error('mount: only root can do that'));
      },
    });
    try {
      expect(mounted).toEqual([[path.dirname(jail.taskDir), 16 * 1024 ** 2]]);
      expect(jail.tmpfs).toBe(false);
      expect(warnings).toEqual([
        'the workspace limit is not enforced: no tmpfs could be mounted (is the worker root?)',
      ]);
      // The task dir is there all the same, with its spec.
      expect((await stat(jail.taskDir)).isDirectory()).toBe(true);
      expect(await readFile(path.join(jail.taskDir, 'kolejka_task.json'), 'utf8')).toContain(
        'busybox',
      );
    } finally {
      await removeJail(jail);
    }
  });
});
