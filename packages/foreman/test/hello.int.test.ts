import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { parseForemanMessage, type ForemanHello, type ServerMessage } from '@kolejka/spec';
import { storageQuotaPossible } from '@kolejka/worker';
import { Cluster, until } from './support/cluster.js';

// A stand-in server that records the hello of a real foreman process (and welcomes it).
const hellos: ForemanHello[] = [];
const http = createServer();
const wss = new WebSocketServer({ noServer: true });
http.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => {
    ws.on('message', (data) => {
      const message = parseForemanMessage((data as Buffer).toString());
      if (message.type !== 'foreman:hello') return;
      hellos.push(message);
      const welcome: ServerMessage = {
        type: 'server:welcome',
        protocol: 1,
        serverId: 'recorder',
        heartbeatIntervalMs: 1000,
        leaseMs: 10_000,
        kept: [],
        dropped: [],
        draining: false,
      };
      ws.send(JSON.stringify(welcome));
    });
  });
});
let cluster: Cluster;
let url: string;

beforeAll(async () => {
  cluster = await Cluster.create();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await cluster.close();
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

describe("the foreman's hello", () => {
  it('says the storage limit is not enforced when Docker cannot (no xfs pquota)', async () => {
    const isEnforceable = storageQuotaPossible(await new Dockerode().info());
    await cluster.startForeman('hello', [url], ['--cpus', '1']);
    const hello = await until(() => hellos[0], 30_000, 'the hello');
    expect(hello.unenforcedLimits).toEqual(isEnforceable ? undefined : ['storage']);
    // And the cpus tag says what --cpus gives, not the machine.
    expect(hello.tags).toContain('cpus:1');
  }, 60_000);
});
