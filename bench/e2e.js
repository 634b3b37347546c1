// The whole pipeline against bare Docker. A real kolejka-server (the built CLI, SQLite in a
// temporary home) and a real kolejka-foreman process (capacity: this machine, concurrency
// 2), a client in this process (the built KolejkaClient, one events WebSocket):
//   1. latency: submit → result of a trivial task (busybox `true`, no network) with an idle
//      foreman, against a bare `docker run --rm --network none` of the same command; medians
//      over interleaved runs, and the ratio (target ≤ 1.3);
//   2. throughput: N trivial tasks (default 200) through server and foreman at concurrency 2,
//      against `xargs -P 2` of the same bare `docker run`s; the ratio of the throughputs
//      (target ≥ 0.9).
//      The throughput runs in alternating rounds (default 4 × 50 tasks each way).
// Run after `pnpm build`:  node bench/e2e.js [--runs 15] [--tasks 200] [--rounds 4] [--log-level info]
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import WebSocket from '../packages/foreman/node_modules/ws/wrapper.mjs';
import { KolejkaClient } from '../packages/client/dist/index.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const RUNS = Number(option('runs', '15'));
const TASKS = Number(option('tasks', '200'));
const ROUNDS = Number(option('rounds', '4'));
const LOG_LEVEL = option('log-level', 'info');
const CONCURRENCY = 2;
const IMAGE = 'kolejka-test/busybox:latest';
const DOCKER_RUN = ['run', '--rm', '--network', 'none', IMAGE, 'true'];
const bin = (name) =>
  new URL(`../packages/${name}/bin/kolejka-${name}.js`, import.meta.url).pathname;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const now = () => performance.now();

const home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-bench-e2e-'));
const children = [];

function start(name, argv, env = {}) {
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KOLEJKA_LOG_LEVEL: LOG_LEVEL, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const entry = { name, child, exited, lines, stderr: () => stderr };
  children.push(entry);
  return entry;
}

function waitForLine(entry, match, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry.name}: no ${what}: ${entry.stderr()}`)),
      60_000,
    );
    entry.lines.on('line', (line) => {
      let parsed;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if (match(parsed)) {
        clearTimeout(timer);
        resolve(parsed);
      }
    });
    void entry.exited.then((code) =>
      reject(new Error(`${entry.name} exited (${code}): ${entry.stderr()}`)),
    );
  });
}

async function admin(...argv) {
  const { stdout } = await run(process.execPath, [
    bin('server'),
    ...argv,
    '--home',
    path.join(home, 'server'),
  ]);
  return stdout.trim();
}

/** One events socket for every task of the client: resolves waiters as tasks end. */
async function openEvents(url, token) {
  const waiters = new Map();
  const ended = new Map();
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/events`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type !== 'task:updated') return;
    if (!['finished', 'failed', 'cancelled'].includes(message.state)) return;
    ended.set(message.key, message.state);
    waiters.get(message.key)?.(message.state);
  });
  const subscribed = new Promise((resolve) =>
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'events:subscribed') resolve();
    }),
  );
  ws.send(JSON.stringify({ type: 'events:subscribe', mine: true }));
  await subscribed;
  return {
    wait: (key) =>
      ended.has(key)
        ? Promise.resolve(ended.get(key))
        : new Promise((resolve) => waiters.set(key, resolve)),
    close: () => ws.close(),
  };
}

try {
  await admin('user', 'add', 'bench-node', '--role', 'processor');
  await admin('user', 'add', 'bench-client', '--role', 'client');
  const processorToken = await admin('token', 'create', 'bench-node');
  const clientToken = await admin('token', 'create', 'bench-client');
  const server = start(
    'kolejka-server',
    [bin('server'), 'serve', '--home', path.join(home, 'server'), '--port', '0'],
    {
      // The server logs one line per request at debug only; info is its production level.
      KOLEJKA_LOG_LEVEL: 'info',
    },
  );
  const { listening: url } = await waitForLine(server, (line) => line.listening, 'listening line');
  const foreman = start('kolejka-foreman', [
    bin('foreman'),
    ...['--server', url, '--token', processorToken, '--id', 'bench'],
    ...['--temp', path.join(home, 'foreman'), '--concurrency', String(CONCURRENCY)],
    ...['--container-prefix', 'kolejka-bench-'],
  ]);
  // The foreman logs at LOG_LEVEL; `connected` is an info line, so look for it only then.
  if (['info', 'debug'].includes(LOG_LEVEL))
    await waitForLine(foreman, (line) => line.message === 'connected', 'connection');
  else await new Promise((resolve) => setTimeout(resolve, 3000));

  const taskDir = path.join(home, 'task');
  await mkdir(taskDir);
  await writeFile(
    path.join(taskDir, 'kolejka_task.json'),
    JSON.stringify({
      image: IMAGE,
      args: ['true'],
      limits: { cpus: 1, memory: '64M', network: false },
    }),
  );
  const client = new KolejkaClient({ server: url, token: clientToken });
  const events = await openEvents(url, clientToken);
  const submitAndWait = async () => {
    const { key } = await client.putTask(taskDir);
    const state = await events.wait(key);
    if (state !== 'finished') throw new Error(`task ${key} ended ${state}`);
    await client.getResultRecord(key);
  };
  const dockerRun = () => run('docker', DOCKER_RUN);

  // 1. Latency, interleaved, after a warm-up of each.
  for (let i = 0; i < 2; i++) {
    await dockerRun();
    await submitAndWait();
  }
  const latency = { docker: [], kolejka: [] };
  for (let i = 0; i < RUNS; i++) {
    let started = now();
    await dockerRun();
    latency.docker.push(now() - started);
    started = now();
    await submitAndWait();
    latency.kolejka.push(now() - started);
  }
  const dockerMs = median(latency.docker);
  const kolejkaMs = median(latency.kolejka);
  console.log(`latency (median of ${RUNS}, interleaved):`);
  console.log(`  docker run --rm --network none ${IMAGE} true   ${dockerMs.toFixed(0)} ms`);
  console.log(
    `  kolejka submit → result (server + foreman)              ${kolejkaMs.toFixed(0)} ms`,
  );
  console.log(`  ratio kolejka/docker = ${(kolejkaMs / dockerMs).toFixed(2)} (target ≤ 1.3)`);

  // 2. Throughput, in rounds that alternate between the two ways, so that machine noise
  // (other jobs on the same two cores) hits both alike.
  const chunk = Math.ceil(TASKS / ROUNDS);
  let dockerSeconds = 0;
  let kolejkaSeconds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let started = now();
    await run(
      'sh',
      ['-c', `seq ${chunk} | xargs -P ${CONCURRENCY} -I{} docker ${DOCKER_RUN.join(' ')}`],
      { maxBuffer: 1 << 24 },
    );
    dockerSeconds += (now() - started) / 1000;
    started = now();
    const waits = [];
    for (let i = 0; i < chunk; i++) {
      const { key } = await client.putTask(taskDir);
      waits.push(events.wait(key));
    }
    const states = await Promise.all(waits);
    kolejkaSeconds += (now() - started) / 1000;
    if (states.some((state) => state !== 'finished')) throw new Error('some tasks did not finish');
  }
  const total = chunk * ROUNDS;
  const dockerRate = total / dockerSeconds;
  const kolejkaRate = total / kolejkaSeconds;
  console.log(
    `throughput (${total} tasks, ${CONCURRENCY} at a time, ${ROUNDS} alternating rounds):`,
  );
  console.log(
    `  xargs -P ${CONCURRENCY} docker run         ${dockerSeconds.toFixed(1)} s, ${dockerRate.toFixed(2)} tasks/s`,
  );
  console.log(
    `  kolejka server + foreman   ${kolejkaSeconds.toFixed(1)} s, ${kolejkaRate.toFixed(2)} tasks/s`,
  );
  console.log(`  ratio kolejka/docker = ${(kolejkaRate / dockerRate).toFixed(2)} (target ≥ 0.9)`);
  events.close();
  await client.close();
} finally {
  for (const entry of children.reverse()) {
    if (entry.child.exitCode === null) {
      entry.child.kill('SIGTERM');
      await entry.exited;
    }
  }
  await rm(home, { recursive: true, force: true });
}
