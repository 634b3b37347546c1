import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINER_TASK_DIR } from '@kolejka/spec';
import { containerGlobFs } from '../src/task-files/collect.js';
import { ContainerView } from '../src/container/paths.js';
import { fnmatchRegExp } from '../src/task-files/fnmatch.js';
import { pythonGlob } from '../src/task-files/python-glob.js';
import { scratch } from './support/fixtures.js';

describe('fnmatch (Python semantics for one component)', () => {
  const cases: [string, string, boolean][] = [
    ['*.txt', 'a.txt', true],
    ['*.txt', 'a.txt.bak', false],
    ['?.c', 'a.c', true],
    ['?.c', 'ab.c', false],
    ['[abc].c', 'b.c', true],
    ['[!abc].c', 'b.c', false],
    ['[!abc].c', 'd.c', true],
    ['[a-c]x', 'bx', true],
    ['[c-a]x', 'bx', false], // a reversed range matches nothing
    ['[]]', ']', true], // "]" first in a set is literal
    ['[!]]', 'a', true],
    ['[', '[', true], // an unclosed "[" is literal
    ['a\\b', 'a\\b', true], // backslash is an ordinary character
    ['a.b', 'axb', false], // "." is literal
    ['*', '', true],
    ['A*', 'abc', false], // case-sensitive
    ['x-[a-]', 'x--', true],
    ['(a|b)+', '(a|b)+', true], // regex syntax is literal
    ['ż?', 'żółw'.slice(0, 2), true], // code points, not UTF-16 units
  ];
  it.each(cases)('%s vs %s → %s', (pattern, name, matches) => {
    expect(fnmatchRegExp(pattern).test(name)).toBe(matches);
  });
});

describe('pythonGlob over a real task directory', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let root: string;
  const glob = (pattern: string): Promise<string[]> =>
    pythonGlob(containerGlobFs(new ContainerView(root, CONTAINER_TASK_DIR)), pattern).then(
      (matches) => matches.sort(),
    );

  beforeAll(async () => {
    tmp = await scratch('glob');
    root = path.join(tmp.dir, 'task');
    for (const dir of ['out/sub/deep', 'out/.hidden-dir', '.top-hidden', 'empty']) {
      await mkdir(path.join(root, dir), { recursive: true });
    }
    for (const file of [
      'a.txt',
      'b.log',
      '.dot.txt',
      'out/x.txt',
      'out/.y.txt',
      'out/sub/z.txt',
      'out/sub/deep/w.txt',
      'out/.hidden-dir/h.txt',
      '.top-hidden/t.txt',
    ]) {
      await writeFile(path.join(root, file), file);
    }
    await symlink('sub', path.join(root, 'out/linkdir'));
    await symlink('.', path.join(root, 'out/loop'));
    await symlink('/etc', path.join(root, 'etc-link'));
    await symlink('../../../../etc', path.join(root, 'up-link'));
    await symlink('/var/lib/kolejka/task/out/sub', path.join(root, 'abs-inside'));
  });
  afterAll(() => tmp.cleanup());

  it('matches within one component, hiding dot files from * and ?', async () => {
    expect(await glob('*.txt')).toEqual(['a.txt']);
    expect(await glob('?.*')).toEqual(['a.txt', 'b.log']);
    expect(await glob('.*.txt')).toEqual(['.dot.txt']);
    expect(await glob('out/*.txt')).toEqual(['out/x.txt']);
    expect(await glob('out/.*')).toEqual(['out/.hidden-dir', 'out/.y.txt']);
  });

  it('a component without magic matches an existing name, hidden or not', async () => {
    expect(await glob('out/.y.txt')).toEqual(['out/.y.txt']);
    expect(await glob('.top-hidden/*.txt')).toEqual(['.top-hidden/t.txt']);
    expect(await glob('missing.txt')).toEqual([]);
  });

  it('** matches zero or more directories, skipping hidden ones', async () => {
    expect(await glob('**/*.txt')).toEqual([
      'a.txt',
      'abs-inside/z.txt',
      'out/linkdir/z.txt',
      'out/loop/x.txt',
      'out/sub/deep/w.txt',
      'out/sub/z.txt',
      'out/x.txt',
    ]);
    expect(await glob('out/**/w.txt')).toEqual(['out/sub/deep/w.txt']);
  });

  it('** alone lists everything below, including the directory itself', async () => {
    const all = await glob('out/**');
    expect(all).toContain('out/');
    expect(all).toContain('out/sub/deep/w.txt');
    expect(all).toContain('out/loop'); // the link itself, not descended
    expect(all.some((match) => match.startsWith('out/loop/'))).toBe(false);
    expect(all.some((match) => match.includes('.hidden-dir'))).toBe(false);
  });

  it('never lists through links that leave the task directory', async () => {
    expect(await glob('etc-link/*')).toEqual([]);
    expect(await glob('up-link/*')).toEqual([]);
    expect(await glob('*/passwd')).toEqual([]);
  });

  it('follows links that stay inside, with container semantics for absolute targets', async () => {
    expect(await glob('abs-inside/*.txt')).toEqual(['abs-inside/z.txt']);
    expect(await glob('out/linkdir/*.txt')).toEqual(['out/linkdir/z.txt']);
  });
});
