// The push scheduler of kolejka-server under load. A real server process (the built CLI,
// SQLite in a temporary home) and simulated foremen in this process (real WebSockets; they
// accept, start and report the task finished at once, with its result in task:finished
// (protocol 2), or with `--results http` PUT over HTTP before task:finished (protocol 1)).
//   1. latency: with N tasks already queued (waiting for capacity), submit probe tasks one at
//      a time over HTTP and time submit → task:assign at an idle foreman (p50, p99 of 200,
//      after 20 warm-up probes that compile the validators);
//   2. throughput: M foremen drain the N queued tasks; tasks assigned and completed per second
//      (over the first min(N, 10000)), and the per-assignment cost 100k/1k;
//   3. memory: the server's RSS with 1,000 idle foreman connections;
//   4. graph (issue 12): 1 root fanning out to G dependents and in again to 1 sink; the time
//      from the root's result to the last dependent assigned (they are released inside the
//      transaction that stores the root's result), and the drain rate of G queued tasks with
//      G other tasks waiting (on a task that never runs) against the same queue without them.
// Run after `pnpm build`:
//   node bench/scheduler.js [--foremen M] [--queued 1000,100000] [--idle 1000] [--results push|http] [--graph 10000]
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from '../packages/server/node_modules/ws/wrapper.mjs';
import { dumpTask, parseTask } from '../packages/spec/dist/index.js';
import {
  newTokenId,
  newTokenSecret,
  newUuidHex,
  openStorage,
  sha256Hex,
} from '../packages/server/dist/index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const FOREMEN = Number(option('foremen', '10'));
const QUEUED = option('queued', '1000,100000').split(',').map(Number);
const IDLE = Number(option('idle', '1000'));
const RESULTS = option('results', 'push');
const GRAPH = Number(option('graph', '10000'));
if (RESULTS !== 'push' && RESULTS !== 'http') throw new Error('--results is push or http');
const PROBES = 200;
const WARMUP = 20;
const bin = new URL('../packages/server/bin/kolejka-server.js', import.meta.url).pathname;

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const ms = (value) => `${value.toFixed(2)} ms`;

async function prepareHome(queued, seed = async () => {}) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-bench-scheduler-'));
  const { store, blobs } = await openStorage({ home });
  const tokens = {};
  for (const [username, roles] of [
    ['alice', ['client']],
    ['node', ['processor']],
  ]) {
    await store.createUser({ username, roles, createdAt: new Date() });
    tokens[username] = newTokenSecret();
    await store.createToken({
      id: newTokenId(),
      username,
      tokenHash: sha256Hex(tokens[username]),
      createdAt: new Date(),
    });
  }
  const spec = (memory) =>
    dumpTask(
      parseTask({
        image: 'kolejka-test/busybox:latest',
        args: ['true'],
        limits: { cpus: 1, memory },
      }),
    );
  const record = (priority, memory, createdAt) => {
    const key = newUuidHex();
    return {
      key,
      owner: 'alice',
      spec: { ...spec(memory), id: key },
      state: 'queued',
      priority,
      attempt: 0,
      lostCount: 0,
      maxAttempts: 3,
      createdAt,
      updatedAt: createdAt,
    };
  };
  // The filler keeps the latency foreman busy so that the backlog (2G each) waits for capacity.
  const base = Date.now() - queued - 1000;
  if (queued > 0) await store.createTask(record(10, '3G', new Date(base)));
  for (let i = 0; i < queued; i++) await store.createTask(record(0, '2G', new Date(base + 1 + i)));
  await seed(store, record);
  await store.close();
  await blobs.close();
  return { home, tokens };
}

async function startServer(home) {
  // KOLEJKA_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const nodeArgs = (process.env.KOLEJKA_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, bin, 'serve', '--home', home, '--port', '0', '--log-level', 'warn'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const started = performance.now();
  const url = await new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const { listening } = JSON.parse(line);
        if (listening) resolve(listening);
      } catch {
        // another line
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
  return { child, url, startMs: performance.now() - started };
}

/** CPU seconds (user + system) a process has used, from /proc. */
async function cpuSeconds(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function rssBytes(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** Tasks in the state `finished`, as the server counts them. */
async function finishedCount(url, token) {
  const response = await fetch(`${url}/api/v1/queue/stats`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`queue stats: ${response.status}`);
  return (await response.json()).tasks.finished;
}

/**
 * PUTs a result; returns the status. A keep-alive connection the server closed just as it
 * was reused (ECONNRESET, likelier on a loaded machine) is retried: the PUT is idempotent.
 */
async function putResult(url, token, key, attempt) {
  for (let round = 1; ; round++) {
    try {
      const response = await fetch(`${url}/api/v1/tasks/${key}/result`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ attempt, result: { id: key, result: 0 } }),
      });
      await response.arrayBuffer();
      return response.status;
    } catch (error) {
      if (round >= 3) throw error;
    }
  }
}

/** A foreman that accepts, starts, and reports the task finished with its result at once. */
function foreman(url, token, id, capacity, onAssign = () => {}) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/foreman`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const state = { ws, completed: 0, welcomed: undefined, protocol: 0 };
  state.welcomed = new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          type: 'foreman:hello',
          protocols: RESULTS === 'push' ? [1, 2] : [1],
          foremanId: id,
          version: 'bench',
          tags: [],
          capacity,
          running: [],
        }),
      ),
    );
    ws.on('message', async (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'server:welcome') {
        state.protocol = message.protocol;
        resolve();
      }
      // Only a refused result (or a bug) is answered with an error: the run is void.
      if (message.type === 'error') throw new Error(`server error: ${String(data)}`);
      if (message.type !== 'task:assign') return;
      const { key, attempt } = message;
      const isHeld = onAssign(message) === true;
      ws.send(JSON.stringify({ type: 'task:accepted', key, attempt }));
      ws.send(JSON.stringify({ type: 'task:started', key, attempt }));
      if (isHeld) return;
      if (state.protocol >= 2) {
        const result = { id: key, result: 0 };
        ws.send(JSON.stringify({ type: 'task:finished', key, attempt, result }));
        state.completed++;
        return;
      }
      const status = await putResult(url, token, key, attempt);
      // 200: a retry after a reset connection found the first PUT stored.
      if (status !== 201 && status !== 200) throw new Error(`result refused: ${status}`);
      ws.send(JSON.stringify({ type: 'task:finished', key, attempt }));
      state.completed++;
    });
  });
  return state;
}

async function scenario(queued) {
  const { home, tokens } = await prepareHome(queued);
  const server = await startServer(home);
  try {
    // 1. Latency: one foreman holds the filler (3G of 4G), the backlog (2G each) waits;
    //    probes (64M, higher priority) go to it at once.
    const arrivals = new Map();
    const idle = foreman(server.url, tokens.node, 'latency', { cpus: 64, memory: '4G' }, (m) => {
      arrivals.set(m.key, performance.now());
      return arrivals.size === 1; // the filler: held for the whole run
    });
    await idle.welcomed;
    const latencies = [];
    // The first submissions compile the validators and warm the JIT: not counted.
    for (let i = -WARMUP; i < PROBES; i++) {
      const started = performance.now();
      const response = await fetch(`${server.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tokens.alice}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          task: {
            image: 'kolejka-test/busybox:latest',
            args: ['true'],
            limits: { cpus: 1, memory: '64M' },
          },
          priority: 5,
        }),
      });
      const { key } = await response.json();
      if (response.status !== 201) throw new Error(`submission refused: ${response.status}`);
      while (!arrivals.has(key)) await new Promise((resolve) => setImmediate(resolve));
      if (i >= 0) latencies.push(arrivals.get(key) - started);
    }
    latencies.sort((a, b) => a - b);

    // 2. Throughput: M foremen with room for four backlog tasks each drain the queue.
    const target = Math.min(queued, 10_000);
    const sims = Array.from({ length: FOREMEN }, (_, i) =>
      foreman(server.url, tokens.node, `worker-${i}`, { cpus: 4, memory: '8G' }),
    );
    const finishedBefore = await finishedCount(server.url, tokens.alice);
    const started = performance.now();
    const serverCpu = await cpuSeconds(server.child.pid);
    const benchCpu = process.cpuUsage();
    await Promise.all(sims.map((sim) => sim.welcomed));
    const completed = () => sims.reduce((sum, sim) => sum + sim.completed, 0);
    while (completed() < target) await new Promise((resolve) => setTimeout(resolve, 2));
    // Results sent in task:finished are stored when the server has read them: the clock
    // stops when the store counts them all as finished.
    while ((await finishedCount(server.url, tokens.alice)) < finishedBefore + target)
      await new Promise((resolve) => setTimeout(resolve, 2));
    const seconds = (performance.now() - started) / 1000;
    const serverLoad = ((await cpuSeconds(server.child.pid)) - serverCpu) / seconds;
    const used = process.cpuUsage(benchCpu);
    const benchLoad = (used.user + used.system) / 1e6 / seconds;
    const rss = await rssBytes(server.child.pid);
    for (const sim of [idle, ...sims]) sim.ws.terminate();
    return {
      queued,
      startMs: server.startMs,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      rate: target / seconds,
      completed: target,
      rss,
      serverLoad,
      benchLoad,
    };
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    await rm(home, { recursive: true, force: true });
  }
}

async function idleConnections(count) {
  const { home, tokens } = await prepareHome(0);
  const server = await startServer(home);
  try {
    const before = await rssBytes(server.child.pid);
    const sims = [];
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) =>
        foreman(server.url, tokens.node, `idle-${i + j}`, { cpus: 1, memory: '1G' }),
      );
      await Promise.all(batch.map((sim) => sim.welcomed));
      sims.push(...batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await rssBytes(server.child.pid);
    for (const sim of sims) sim.ws.terminate();
    return { count, before, after };
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    await rm(home, { recursive: true, force: true });
  }
}

const results = [];
for (const queued of QUEUED) {
  const result = await scenario(queued);
  results.push(result);
  console.log(
    `queued ${String(queued).padStart(6)}: start ${ms(result.startMs)}, submit→assign p50 ${ms(result.p50)} p99 ${ms(result.p99)}; ` +
      `${result.rate.toFixed(0)} tasks/s assigned and completed (${result.completed} tasks, ${FOREMEN} foremen, results ${RESULTS === 'push' ? 'in task:finished' : 'PUT over HTTP'}); RSS ${(result.rss / 2 ** 20).toFixed(0)} MB; ` +
      `CPU: server ${(result.serverLoad * 100).toFixed(0)}% (${((result.serverLoad / result.rate) * 1000).toFixed(2)} ms/task), simulated foremen ${(result.benchLoad * 100).toFixed(0)}%`,
  );
}
if (results.length >= 2) {
  const [small, large] = [results[0], results[results.length - 1]];
  console.log(
    `per-assignment cost ${large.queued}/${small.queued}: ${(small.rate / large.rate).toFixed(2)} (target ≤ 1.5)`,
  );
}
if (IDLE > 0) {
  const idle = await idleConnections(IDLE);
  console.log(
    `${idle.count} idle foreman connections: server RSS ${(idle.before / 2 ** 20).toFixed(0)} MB → ${(idle.after / 2 ** 20).toFixed(0)} MB (target ≤ 200 MB)`,
  );
}

/** Drains the queued tasks with FOREMEN simulated foremen; tasks per second. */
async function drainRate(server, tokens, target, onAssign) {
  const sims = Array.from({ length: FOREMEN }, (_, i) =>
    foreman(server.url, tokens.node, `graph-${i}`, { cpus: 4, memory: '8G' }, onAssign),
  );
  const started = performance.now();
  await Promise.all(sims.map((sim) => sim.welcomed));
  const completed = () => sims.reduce((sum, sim) => sum + sim.completed, 0);
  while (completed() < target) await new Promise((resolve) => setTimeout(resolve, 2));
  const seconds = (performance.now() - started) / 1000;
  for (const sim of sims) sim.ws.terminate();
  return target / seconds;
}

async function withServer(home, fn) {
  const server = await startServer(home);
  try {
    return await fn(server);
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    await rm(home, { recursive: true, force: true });
  }
}

async function graphScenario(fanout) {
  // a. Fan-out and in: the root, `fanout` dependents, one sink depending on all of them.
  const keys = { root: '', middle: new Set(), sink: '' };
  const fan = await prepareHome(0, async (store, record) => {
    const root = record(0, '64M', new Date(Date.now() - 1000));
    keys.root = root.key;
    await store.createTask(root);
    for (let i = 0; i < fanout; i++) {
      const task = { ...record(0, '64M', new Date()), state: 'waiting' };
      task.links = { dependencies: [root.key], after: 'finished' };
      keys.middle.add(task.key);
      await store.createTask(task);
    }
    const sink = { ...record(0, '64M', new Date()), state: 'waiting' };
    sink.links = { dependencies: [...keys.middle], after: 'finished' };
    keys.sink = sink.key;
    await store.createTask(sink);
  });
  const fanTimes = await withServer(fan.home, async (server) => {
    let rootDone = 0;
    let lastMiddle = 0;
    let sinkAt = 0;
    let middleSeen = 0;
    await drainRate(server, fan.tokens, fanout + 2, (message) => {
      const now = performance.now();
      if (message.key === keys.root)
        rootDone = now; // its result is sent right after
      else if (keys.middle.has(message.key)) {
        middleSeen++;
        lastMiddle = now;
      } else if (message.key === keys.sink) sinkAt = now;
      return false;
    });
    if (middleSeen !== fanout) throw new Error(`${middleSeen} of ${fanout} dependents ran`);
    return { toLastDependent: lastMiddle - rootDone, toSink: sinkAt - rootDone };
  });

  // b. The cost of an assignment with `fanout` waiting tasks beside the queue, and without.
  const rates = [];
  for (const isWaiting of [false, true]) {
    const home = await prepareHome(0, async (store, record) => {
      const base = Date.now() - fanout - 1000;
      for (let i = 0; i < fanout; i++) await store.createTask(record(0, '64M', new Date(base + i)));
      if (!isWaiting) return;
      const never = { ...record(0, '64M', new Date()), spec: undefined };
      never.spec = { ...record(0, '64M', new Date()).spec, id: never.key, requires: ['never'] };
      await store.createTask(never);
      for (let i = 0; i < fanout; i++) {
        const task = { ...record(0, '64M', new Date()), state: 'waiting' };
        task.links = { dependencies: [never.key], after: 'finished' };
        await store.createTask(task);
      }
    });
    rates.push(await withServer(home.home, (server) => drainRate(server, home.tokens, fanout)));
  }
  return { ...fanTimes, flatRate: rates[0], waitingRate: rates[1] };
}

if (GRAPH > 0) {
  const graph = await graphScenario(GRAPH);
  console.log(
    `graph 1 → ${GRAPH} → 1: root's result → last dependent assigned ${ms(graph.toLastDependent)}, → sink assigned ${ms(graph.toSink)}; ` +
      `drain ${graph.flatRate.toFixed(0)} tasks/s flat, ${graph.waitingRate.toFixed(0)} tasks/s with ${GRAPH} waiting: per-assignment cost ${(graph.flatRate / graph.waitingRate).toFixed(2)} (target ≤ 1.5)`,
  );
}
