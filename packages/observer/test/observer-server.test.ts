import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObserverServer, type ObserverServer } from '../src/index.js';
import { FakeCgroups } from './support/fake-cgroups.js';
import { createFakeProc, type FakeProc } from './support/fake-proc.js';
import { observerCall, rawRequest } from './support/raw-http.js';

const JUDGE = 200;
const RUNNER = 201;

let dir: string;
let socketPath: string;
let cgroups: FakeCgroups;
let proc: FakeProc;
let server: ObserverServer;
let caller: number | Error;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-server-'));
  socketPath = path.join(dir, 'run', 'socket');
  cgroups = new FakeCgroups('v1');
  cgroups.place(JUDGE, '/docker/abc');
  cgroups.place(RUNNER, '/docker/abc');
  proc = await createFakeProc();
  await proc.live(JUDGE);
  caller = JUDGE;
  server = createObserverServer({
    socketPath,
    cgroups,
    procRoot: proc.root,
    peerCredentials: () => {
      if (caller instanceof Error) throw caller;
      return { pid: caller, uid: 0, gid: 0 };
    },
  });
  await server.listen();
});

afterEach(async () => {
  await server.close();
  await proc.remove();
  await rm(dir, { recursive: true, force: true });
});

describe('transport', () => {
  it('creates the socket directory, mode 0777, and answers like the original', async () => {
    expect((await stat(socketPath)).mode & 0o777).toBe(0o777);
    const reply = await observerCall(socketPath, '');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('server')).toBe('Kolejka Observer Daemon');
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(reply.json).toEqual({ sessions: 0, status: 'ok' });
  });

  it('accepts targets without a slash, with slashes, spaces and capitals', async () => {
    for (const target of ['open', '/open', '/Open/ ', 'OPEN//']) {
      const reply = await rawRequest(
        socketPath,
        `POST ${target} HTTP/1.1\r\nContent-Length: 0\r\n\r\n`,
      );
      expect(reply.status, target).toBe(200);
      expect(reply.json?.session_id).toMatch(/^[0-9a-f]{32}$/);
    }
    expect((await observerCall(socketPath, '')).json?.sessions).toBe(4);
  });

  it('answers GET and HEAD with 200 and no body', async () => {
    const get = await rawRequest(socketPath, 'GET / HTTP/1.1\r\n\r\n');
    expect(get.status).toBe(200);
    expect(get.body).toBe('');
    const head = await rawRequest(socketPath, 'HEAD / HTTP/1.1\r\n\r\n');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('0');
  });

  it('refuses bad requests with a status and a message naming the problem', async () => {
    const cases: [string, number, string][] = [
      ['POST /nonsense HTTP/1.1\r\n\r\n', 404, 'unknown command "nonsense"'],
      [
        'POST /open HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
        400,
        'Content-Type must be exactly',
      ],
      [
        'POST /limits HTTP/1.1\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 5\r\n\r\n{"a":',
        400,
        'not valid JSON',
      ],
      ['POST /stats HTTP/1.1\r\n\r\n', 400, 'session_id'],
      ['PUT /open HTTP/1.1\r\n\r\n', 405, 'method PUT'],
      ['this is not http\r\n\r\n', 400, 'malformed request line'],
    ];
    for (const [text, status, message] of cases) {
      const reply = await rawRequest(socketPath, text);
      expect(reply.status, text).toBe(status);
      expect(reply.headers.get('server')).toBe('Kolejka Observer Daemon');
      expect((reply.json?.error as { message: string }).message).toContain(message);
    }
  });

  it('ignores a body sent without Content-Type', async () => {
    const reply = await rawRequest(
      socketPath,
      'POST /stats HTTP/1.1\r\nContent-Length: 24\r\n\r\n{"session_id": "abcdef"}',
    );
    expect(reply.status).toBe(400);
  });

  it('answers a client that shuts down its side right after the request', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(socketPath, () => socket.end('POST / HTTP/1.1\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toContain('"sessions":0');
  });
});

describe('a judge session over the socket', () => {
  it('says in the stats reply which peaks are sampled (no memory.peak before Linux 5.19)', async () => {
    const opened = await observerCall(socketPath, 'open');
    const { session_id: id } = opened.json as { session_id: string };
    const before = await observerCall(socketPath, 'stats', { session_id: id });
    expect(before.json).not.toHaveProperty('sampled');
    const group = cgroups.groups.get(`/docker/abc/kolejka_observer_${id}`);
    if (group === undefined) throw new Error('no session cgroup');
    // What CgroupV2.readStats gives on Linux 5.15: currents, no peaks.
    group.stats.memory = { usage: 4096 };
    const stats = await observerCall(socketPath, 'stats', { session_id: id });
    expect(stats.json).toMatchObject({
      memory: { usage: '4096b', max_usage: '4096b' },
      sampled: ['memory.max_usage'],
      status: 'ok',
    });
  });

  it('open, limits, attach (the move done before the single-write reply), stats, close', async () => {
    const opened = await observerCall(socketPath, 'open');
    const { session_id: id, secret } = opened.json as { session_id: string; secret: string };
    expect(opened.firstChunk).toContain(secret);
    expect(cgroups.processes.get(JUDGE)).toBe('/docker/abc');

    const limits = await observerCall(socketPath, 'limits', {
      session_id: id,
      secret,
      limits: { memory: '64M', time: '1.5s', swap: '0b' },
    });
    expect(limits.json).toEqual({ status: 'ok' });

    caller = RUNNER;
    // The runner sends the open reply back as its attach body (status included).
    const attach = await observerCall(socketPath, 'attach', { ...opened.json }, { slash: false });
    expect(attach.status).toBe(200);
    expect(attach.json).toEqual({ status: 'ok' });
    expect(attach.firstChunk).toContain('{"status":"ok"}');
    expect(
      cgroups.events.indexOf(`move ${RUNNER} /docker/abc/kolejka_observer_${id}`),
    ).toBeGreaterThan(-1);

    caller = JUDGE;
    expect(
      (await observerCall(socketPath, 'freeze', { session_id: id, secret: 'nope' })).status,
    ).toBe(403);
    expect((await observerCall(socketPath, 'kill', { session_id: id })).status).toBe(403);
    const stats = await observerCall(socketPath, 'stats', { session_id: id });
    expect(stats.json).toMatchObject({
      status: 'ok',
      cpu: {},
      memory: {},
      pids: {},
      perf: {},
      gpus: {},
      cpus: {},
    });
    expect(stats.json?.time).toMatch(/s$/);

    expect((await observerCall(socketPath, 'close', { session_id: id, secret })).json).toEqual({
      status: 'ok',
    });
    expect((await observerCall(socketPath, 'close', { session_id: id, secret })).json).toEqual({
      status: 'ok',
    });
    expect((await observerCall(socketPath, 'stats', { session_id: id })).status).toBe(200);
    expect((await observerCall(socketPath, 'limits', { session_id: id, secret })).status).toBe(404);
    expect((await observerCall(socketPath, 'stats', { session_id: 'unknown' })).json).toEqual({
      cpu: {},
      cpus: {},
      memory: {},
      pids: {},
      perf: {},
      gpus: {},
      status: 'ok',
    });
  });

  it('attach without a session opens one with the caller inside', async () => {
    caller = RUNNER;
    const reply = await observerCall(socketPath, 'attach');
    expect(reply.json?.session_id).toMatch(/^[0-9a-f]{32}$/);
    expect(cgroups.processes.get(RUNNER)).toBe(
      `/docker/abc/kolejka_observer_${String(reply.json?.session_id)}`,
    );
  });

  it('when the caller cannot be identified: 500 for open, stats still answer', async () => {
    caller = new Error('no SO_PEERCRED here');
    const open = await observerCall(socketPath, 'open');
    expect(open.status).toBe(500);
    expect((open.json?.error as { message: string }).message).toContain('no SO_PEERCRED here');
    expect((await observerCall(socketPath, 'stats', { session_id: 'x' })).status).toBe(200);
  });
});

describe('lifecycle', () => {
  it('replaces a stale socket, refuses a live one, and removes the socket on close', async () => {
    const second = createObserverServer({
      socketPath,
      cgroups,
      peerCredentials: () => ({ pid: 1, uid: 0, gid: 0 }),
    });
    await expect(second.listen()).rejects.toThrow(/already listening/);
    await server.close();
    await server.close();
    await expect(stat(socketPath)).rejects.toThrow();

    // A socket file nobody listens on (a crashed daemon) is replaced.
    const stale = net.createServer();
    await new Promise<void>((resolve) => stale.listen(socketPath, resolve));
    const handle = (stale as unknown as { _handle: { close(): void } | null })._handle;
    handle?.close(); // closes the fd without unlinking the file, like a crash
    server = createObserverServer({
      socketPath,
      cgroups,
      peerCredentials: () => ({ pid: JUDGE, uid: 0, gid: 0 }),
    });
    await server.listen();
    expect((await observerCall(socketPath, '')).status).toBe(200);

    const file = path.join(dir, 'not-a-socket');
    await writeFile(file, 'x');
    const misplaced = createObserverServer({
      socketPath: file,
      cgroups,
      peerCredentials: () => ({ pid: 1, uid: 0, gid: 0 }),
    });
    await expect(misplaced.listen()).rejects.toThrow(/not a socket/);
  });

  it('closes open sessions when it stops', async () => {
    const opened = await observerCall(socketPath, 'open');
    const id = String(opened.json?.session_id);
    await server.close();
    expect(server.sessions.get(id)?.closeReason).toBe('shutdown');
  });
});
