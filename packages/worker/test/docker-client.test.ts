import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '../src/docker/client.js';

/** A fake engine that answers /info with a counter (the CLI asks for it ahead of time). */
describe('prefetching the engine info', () => {
  let requests = 0;
  const server = http.createServer((request, response) => {
    if (request.url === '/info') requests += 1;
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify({ Driver: `driver-${requests}` }));
  });
  let client: DockerClient;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new DockerClient({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  });
  afterAll(async () => {
    client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('hands the prefetched answer to the next info() once, then asks again', async () => {
    client.prefetchInfo();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toBe(1);
    expect((await client.info()).Driver).toBe('driver-1');
    expect(requests).toBe(1);
    expect((await client.info()).Driver).toBe('driver-2');
    expect(requests).toBe(2);
  });

  it('keeps a failed prefetch for the caller, without an unhandled rejection', async () => {
    const dead = new DockerClient({ socketPath: '/nonexistent/kolejka-test-worker.sock' });
    dead.prefetchInfo();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(dead.info()).rejects.toThrow(/ENOENT/);
    dead.close();
  });
});

/** An engine that never answers: every request must end by its timeout or its signal. */
describe('requests that get no answer', () => {
  const server = http.createServer(() => undefined);
  let port: number;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails a plain request after the timeout, saying what was waited for', async () => {
    const client = new DockerClient({ host: '127.0.0.1', port }, { requestTimeoutMs: 100 });
    await expect(client.info()).rejects.toThrow(/^Docker did not answer GET \/info within 0\.1 s$/);
    client.close();
  });

  it('leaves a wait to its signal', async () => {
    const client = new DockerClient({ host: '127.0.0.1', port }, { requestTimeoutMs: 50 });
    const controller = new AbortController();
    const waited = client
      .getContainer('x')
      .wait({ condition: 'not-running', abortSignal: controller.signal });
    const early = await Promise.race([
      waited.then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 200)),
    ]);
    expect(early).toBe('still waiting');
    controller.abort(new Error('stopped by the test'));
    await expect(waited).rejects.toThrow('stopped by the test');
    client.close();
  });
});
