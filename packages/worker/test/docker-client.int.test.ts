import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient, dockerEndpointFromEnv } from '../src/docker/client.js';
import type { DockerEngine } from '../src/docker/engine.js';
import { createWorker } from '../src/worker.js';
import { EXAMPLES_DIR, scratch } from './support/fixtures.js';

describe('DOCKER_HOST', () => {
  it('picks the endpoint of the built-in client, or none where dockerode is needed', () => {
    expect(dockerEndpointFromEnv({})).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerEndpointFromEnv({ DOCKER_HOST: 'unix:///run/d.sock' })).toEqual({
      socketPath: '/run/d.sock',
    });
    expect(dockerEndpointFromEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toEqual({
      host: '127.0.0.1',
      port: 2375,
    });
    expect(
      dockerEndpointFromEnv({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' }),
    ).toBeUndefined();
    expect(dockerEndpointFromEnv({ DOCKER_HOST: 'ssh://me@host' })).toBeUndefined();
  });
});

describe('the built-in client against the real engine', () => {
  const client = new DockerClient({ socketPath: '/var/run/docker.sock' });
  afterAll(() => client.close());

  it("reads the engine's info and reports API errors as dockerode does", async () => {
    expect((await client.info()).Driver).toBeTruthy();
    const error = await client
      .getImage('kolejka-test/nope:none')
      .inspect()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      statusCode: 404,
      message: expect.stringMatching(/^\(HTTP code 404\) .*no such image/i),
    });
  });
});

describe('a dockerode instance passed to createWorker', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch('dockerode');
  });
  afterAll(() => tmp.cleanup());

  it('runs an example just as well', async () => {
    const worker = createWorker({ docker: new Dockerode() as unknown as DockerEngine });
    const result = await worker.execute(
      path.join(EXAMPLES_DIR, 'echo'),
      path.join(tmp.dir, 'result'),
    );
    expect(result.result).toBe(0);
    expect(result.termination?.reason).toBe('exited');
    await worker.close();
  });
});
