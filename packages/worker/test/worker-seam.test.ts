import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import type { ContainerCreateSpec, DockerEngine } from '../src/docker/engine.js';
import { createWorker } from '../src/worker.js';
import { busyboxTask, scratch, writeTaskDir } from './support/fixtures.js';

/** A Docker engine that records the create body and then fails, as a daemon error would. */
function recordingDocker(): { docker: DockerEngine; created: ContainerCreateSpec[] } {
  const created: ContainerCreateSpec[] = [];
  const refuse = (): never => {
    throw new Error('not used by this test');
  };
  const docker: DockerEngine = {
    createContainer: (spec) => {
      created.push(structuredClone(spec));
      return Promise.reject(
        Object.assign(new Error('(HTTP code 500) server error - boom'), {
          statusCode: 500,
          json: { message: 'boom' },
        }),
      );
    },
    getContainer: refuse,
    getImage: refuse,
    pull: refuse,
    ping: refuse,
    listContainers: refuse,
    listImages: refuse,
    info: () =>
      Promise.resolve({
        Driver: 'overlay2',
        DriverStatus: [['Backing Filesystem', 'extfs']],
        CgroupDriver: 'cgroupfs',
      }),
  };
  return { docker, created };
}

describe('createWorker with an injected Docker engine', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch('seam');
  });
  afterAll(() => tmp.cleanup());

  it('creates the container with the effective limits mapped to HostConfig', async () => {
    const { docker, created } = recordingDocker();
    const worker = createWorker({ docker, cgroups: null });
    const task = await writeTaskDir(
      path.join(tmp.dir, 'task'),
      busyboxTask(['sh', 'run.sh'], {
        id: 'seam-1',
        files: { 'run.sh': 'run.sh' },
        limits: {
          memory: '64M',
          swap: '16M',
          pids: 16,
          cpus: 1,
          network: false,
          storage: '1G',
          time: '2s',
        },
        stdout: 'out.txt',
      }),
      { 'run.sh': 'true' },
    );
    const jails = path.join(tmp.dir, 'jails');
    const error = await worker
      .execute(task, path.join(tmp.dir, 'result'), {
        tempDir: jails,
        limits: { memory: 32 * 1024 * 1024, pids: 8 },
      })
      .catch((caught: unknown) => caught);
    expect(isKolejkaError(error, 'KOLEJKA_DOCKER')).toBe(true);
    expect((error as Error).message).toBe(
      'cannot create the container for image kolejka-test/busybox:latest: boom',
    );
    expect(created).toHaveLength(1);
    const spec = created[0] as ContainerCreateSpec;
    expect(spec.name).toMatch(/^kolejka-worker-seam-1-[0-9a-f]{8}$/);
    expect(spec.HostConfig).toMatchObject({
      Memory: 32 * 1024 * 1024,
      MemorySwap: 48 * 1024 * 1024,
      PidsLimit: 8,
      CpusetCpus: expect.stringMatching(/^\d+$/),
      NetworkMode: 'none',
    });
    // extfs cannot enforce storage: no StorageOpt (a warning instead).
    expect(spec.HostConfig.StorageOpt).toBeUndefined();
    expect(spec.HostConfig.Mounts[0]?.Source).toMatch(
      new RegExp(`^${jails}/kolejka-worker-\\w+/work/task$`),
    );
    // Everything made for the run is gone after the failure.
    expect(await readdir(jails)).toEqual([]);
    await worker.close();
  });

  it('names and labels the container as the caller asks (a foreman finds its orphans so)', async () => {
    const { docker, created } = recordingDocker();
    const worker = createWorker({ docker, cgroups: null });
    const task = await writeTaskDir(
      path.join(tmp.dir, 'task-labels'),
      busyboxTask(['true'], { id: 'seam-2' }),
      {},
    );
    await worker
      .execute(task, path.join(tmp.dir, 'result-labels'), {
        tempDir: path.join(tmp.dir, 'jails-labels'),
        containerNamePrefix: 'kolejka-foreman-node1-',
        labels: { 'org.kolejka.foreman': 'node1' },
      })
      .catch(() => undefined);
    const spec = created[0] as ContainerCreateSpec;
    expect(spec.name).toMatch(/^kolejka-foreman-node1-seam-2-[0-9a-f]{8}$/);
    expect(spec.Labels).toEqual({
      'org.kolejka.worker': 'task',
      'org.kolejka.task': 'seam-2',
      'org.kolejka.foreman': 'node1',
    });
    const bad = await worker
      .execute(task, path.join(tmp.dir, 'result-labels-2'), { containerNamePrefix: '/x' })
      .catch((caught: unknown) => caught);
    expect(isKolejkaError(bad, 'KOLEJKA_VALIDATION')).toBe(true);
    expect(created).toHaveLength(1);
    await worker.close();
  });

  it('refuses work after close()', async () => {
    const worker = createWorker({ docker: recordingDocker().docker, cgroups: null });
    await worker.close();
    await worker.close();
    const error = await worker
      .execute('/nonexistent', '/nonexistent-result')
      .catch((caught: unknown) => caught);
    expect(isKolejkaError(error, 'KOLEJKA_UNAVAILABLE')).toBe(true);
  });
});
