import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import type { DockerHost, LocalImage } from '../src/docker/docker-host.js';
import { ImageBudget } from '../src/docker/image-budget.js';

/** A Docker host with images in memory; pulls come from `registry`. */
function fakeDocker(local: LocalImage[], registry: Record<string, number>) {
  const images = new Map(local.map((image) => [image.tags[0] as string, image]));
  const calls: string[] = [];
  const docker: DockerHost = {
    ping: () => Promise.resolve(),
    inspectImage: (name) => Promise.resolve(images.get(name)),
    pullImage: (name) => {
      calls.push(`pull ${name}`);
      const size = registry[name];
      if (size === undefined)
        return Promise.reject(new Error(`image ${name} could not be pulled: denied`));
      images.set(name, { id: `sha256:${name}`, tags: [name], sizeBytes: size });
      return Promise.resolve();
    },
    listImages: () => Promise.resolve([...images.values()]),
    removeImage: (name) => {
      calls.push(`rm ${name}`);
      images.delete(name);
      return Promise.resolve();
    },
    removeContainersLabelled: () => Promise.resolve([]),
  };
  return { docker, images, calls };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-foreman-images-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('ImageBudget', () => {
  it('pulls missing images, then removes the least recently used it pulled, never a pinned one nor a foreign one', async () => {
    let clock = 0;
    const host = fakeDocker([{ id: 'sha256:base', tags: ['base:latest'], sizeBytes: 500 }], {
      'a:latest': 40,
      'b:latest': 40,
      'c:latest': 40,
    });
    const budget = new ImageBudget({
      docker: host.docker,
      budgetBytes: 100,
      stateFile: path.join(dir, 'images.json'),
      pullAlways: false,
      evictForeign: false,
      logger: undefined,
      now: () => ++clock,
    });
    await budget.open();
    const unpinA = budget.pin('a');
    await budget.prepare('a');
    const unpinB = budget.pin('b:latest');
    await budget.prepare('b:latest');
    unpinB();
    await budget.enforce();
    expect(host.calls).toEqual(['pull a:latest', 'pull b:latest']);
    const unpinC = budget.pin('c');
    await budget.prepare('c');
    // 120 bytes of pulled images: a is oldest but pinned, so b goes; base (not pulled) stays.
    await budget.enforce();
    expect(host.calls.slice(2)).toEqual(['pull c:latest', 'rm b:latest']);
    expect([...host.images.keys()].sort()).toEqual(['a:latest', 'base:latest', 'c:latest']);
    unpinA();
    unpinC();
    // Remembered across restarts: a new budget knows which images it pulled.
    const state = JSON.parse(await readFile(path.join(dir, 'images.json'), 'utf8')) as {
      pulled: Record<string, number>;
    };
    expect(Object.keys(state.pulled).sort()).toEqual(['a:latest', 'c:latest']);
    const callsBefore = host.calls.length;
    await budget.prepare('a');
    expect(host.calls).toHaveLength(callsBefore); // present: no second pull
  });

  it('also evicts foreign images when told to, and refuses an image larger than the budget', async () => {
    const host = fakeDocker(
      [
        { id: 'sha256:old', tags: ['old:1'], sizeBytes: 80 },
        { id: 'sha256:huge', tags: ['huge:1'], sizeBytes: 500 },
      ],
      {},
    );
    const budget = new ImageBudget({
      docker: host.docker,
      budgetBytes: 100,
      stateFile: path.join(dir, 'images.json'),
      pullAlways: false,
      evictForeign: true,
    });
    await budget.open();
    const error = await budget.prepare('huge:1').catch((caught: unknown) => caught);
    expect(isKolejkaError(error, 'KOLEJKA_DOCKER')).toBe(true);
    expect((error as Error).message).toBe(
      "image huge:1 takes 500b, more than the foreman's image budget of 100b",
    );
    const pulled = await budget.prepare('missing:1').catch((caught: unknown) => caught);
    expect((pulled as Error).message).toMatch(/could not be pulled/);
    await budget.enforce();
    expect(host.images.size).toBe(0);
  });

  it('pulls every time with pullAlways', async () => {
    const host = fakeDocker([{ id: 'sha256:a', tags: ['a:latest'], sizeBytes: 10 }], {
      'a:latest': 10,
    });
    const budget = new ImageBudget({
      docker: host.docker,
      budgetBytes: 100,
      stateFile: path.join(dir, 'images.json'),
      pullAlways: true,
      evictForeign: false,
    });
    await budget.open();
    await budget.prepare('a');
    await budget.prepare('a');
    expect(host.calls).toEqual(['pull a:latest', 'pull a:latest']);
  });
});
