import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import { DockerClient } from '@kolejka/worker';
import { createDockerHost, type DockerHost } from '../src/docker/docker-host.js';
import { ImageBudget } from '../src/docker/image-budget.js';

const docker = new Dockerode();
const tag = `kolejka-test-foreman-image:${randomBytes(4).toString('hex')}`;
let host: DockerHost;
let dir: string;

beforeAll(async () => {
  host = await createDockerHost();
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-foreman-docker-'));
  // A second name for the busybox image: what a pull by the foreman would have made.
  const [repo, version] = tag.split(':') as [string, string];
  await docker.getImage('kolejka-test/busybox:latest').tag({ repo, tag: version });
});

afterAll(async () => {
  await docker
    .getImage(tag)
    .remove()
    .catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('the Docker calls of the foreman, on the real engine', () => {
  it('inspects present and missing images, and says clearly why a pull failed', async () => {
    await host.ping();
    const busybox = await host.inspectImage('kolejka-test/busybox:latest');
    expect(busybox?.tags).toContain('kolejka-test/busybox:latest');
    expect(busybox?.sizeBytes).toBeGreaterThan(0);
    expect(await host.inspectImage('kolejka-test-foreman/missing:1')).toBeUndefined();
    const error = await host
      .pullImage('kolejka-test-foreman/missing:1')
      .catch((caught: unknown) => caught);
    expect(isKolejkaError(error, 'KOLEJKA_DOCKER')).toBe(true);
    expect((error as Error).message).toMatch(
      /^image kolejka-test-foreman\/missing:1 could not be pulled: \S/,
    );
  });

  it('evicts an image it pulled when over the budget, never one it did not pull', async () => {
    const stateFile = path.join(dir, 'images.json');
    await writeFile(stateFile, JSON.stringify({ pulled: { [tag]: 1 } }));
    const budget = new ImageBudget({
      docker: host,
      budgetBytes: 1,
      stateFile,
      pullAlways: false,
      evictForeign: false,
    });
    await budget.open();
    const unpin = budget.pin(tag);
    await budget.enforce();
    expect(await host.inspectImage(tag)).toBeDefined(); // pinned: a task uses it
    unpin();
    await budget.enforce();
    expect(await host.inspectImage(tag)).toBeUndefined();
    expect(await host.inspectImage('kolejka-test/busybox:latest')).toBeDefined();
  });

  it('fails a daemon check clearly when Docker is not there', async () => {
    const absent = await createDockerHost(
      new DockerClient({ socketPath: path.join(dir, 'no.sock') }),
    );
    const error = await absent.ping().catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/^Docker does not answer .*prepare-docker\.sh/);
  });
});
