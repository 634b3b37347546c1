import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINER_TASK_DIR } from '@kolejka/spec';
import { ContainerView } from '../src/container/paths.js';
import { scratch } from './support/fixtures.js';

describe('ContainerView: symlinks resolved as the container saw them, never leaving the root', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let root: string;
  let view: ContainerView;

  beforeAll(async () => {
    tmp = await scratch('paths');
    root = path.join(tmp.dir, 'task');
    await mkdir(path.join(root, 'dir'), { recursive: true });
    await writeFile(path.join(root, 'dir/file'), 'x');
    await symlink('/etc/shadow', path.join(root, 'abs'));
    await symlink('../../etc/shadow', path.join(root, 'rel'));
    await symlink('dir/../../task/dir/file', path.join(root, 'reenter'));
    await symlink('/var/lib/kolejka/task/dir/file', path.join(root, 'abs-inside'));
    await symlink('/var/lib/kolejka/result/x', path.join(root, 'to-result'));
    await symlink('a', path.join(root, 'b'));
    await symlink('b', path.join(root, 'a'));
    await symlink('dir', path.join(root, 'dirlink'));
    view = new ContainerView(root, CONTAINER_TASK_DIR);
  });
  afterAll(() => tmp.cleanup());

  it('resolves plain paths and links inside', async () => {
    expect(await view.resolve('dir/file')).toBe(path.join(root, 'dir/file'));
    expect(await view.resolve('abs-inside')).toBe(path.join(root, 'dir/file'));
    expect(await view.resolve('reenter')).toBe(path.join(root, 'dir/file'));
    expect(await view.resolve('dirlink/file')).toBe(path.join(root, 'dir/file'));
  });

  it('refuses /etc/shadow, absolutely or through ../.., and other container paths', async () => {
    expect(await view.resolve('abs')).toBeUndefined();
    expect(await view.resolve('rel')).toBeUndefined();
    expect(await view.resolve('to-result')).toBeUndefined();
    expect(await view.resolve('dir/../..')).toBeUndefined();
  });

  it('refuses a symlink loop', async () => {
    expect(await view.resolve('a')).toBeUndefined();
  });

  it('leaves a final link alone when asked', async () => {
    expect(await view.resolve('abs', false)).toBe(path.join(root, 'abs'));
  });

  it('a missing final component still resolves (to where it would be)', async () => {
    expect(await view.resolve('dir/new')).toBe(path.join(root, 'dir/new'));
    expect(await view.resolve('nope/new')).toBeUndefined();
  });
});
