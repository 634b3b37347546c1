#!/usr/bin/env node
// Measures the observer daemon on this machine's real cgroups (needs root and a build:
// `pnpm --filter @kolejka/observer build`). Prints:
//   1. the cost of one request (the root command, no cgroup work) against a bare Node
//      http server on a unix socket (the baseline), and the cost of a whole judge session
//      cycle (open, limits, stats, close) against one request;
//   2. how late deadline kills are: sessions with time 0.2 s, a sleeper attached to each,
//      the sleeper's death measured against open + 0.2 s.
// Usage: node packages/observer/bench/observer-bench.js [requests=300] [deadlines=10]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createObserverServer, detectCgroups } from '../dist/index.js';

const requests = Number(process.argv[2] ?? 300);
const deadlines = Number(process.argv[3] ?? 10);

// The client runs in its own process (the daemon identifies callers by SO_PEERCRED and
// nests sessions under the caller's cgroup, so the caller must live in the bench cgroup).
const CLIENT = String.raw`
import net from 'node:net';
import { spawn } from 'node:child_process';
const [socketPath, baselinePath, requests, deadlines] = process.argv.slice(1);
function post(socket, command, body) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body ?? {});
    const connection = net.connect(socket, () => connection.write(
      'POST /' + command + ' HTTP/1.1\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ' +
      Buffer.byteLength(payload) + '\r\n\r\n' + payload));
    let text = '';
    connection.on('data', (chunk) => (text += chunk));
    connection.on('error', reject);
    connection.on('close', () => resolve(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4) || 'null')));
  });
}
async function timed(count, action) {
  const started = performance.now();
  for (let index = 0; index < count; index += 1) await action();
  return (performance.now() - started) / count;
}
const n = Number(requests);
await timed(20, () => post(baselinePath, ''));
await timed(20, () => post(socketPath, ''));
const baselineMs = await timed(n, () => post(baselinePath, ''));
const rootMs = await timed(n, () => post(socketPath, ''));
const cycleMs = await timed(Math.ceil(n / 10), async () => {
  const session = await post(socketPath, 'open');
  await post(socketPath, 'limits', { ...session, limits: { memory: '64M', pids: 16, time: '10s' } });
  await post(socketPath, 'stats', session);
  await post(socketPath, 'close', session);
});
const lateness = [];
// The sleeper exists before the session (the deadline counts from open); it reads the session
// from stdin, attaches itself like the original starter, then sleeps until killed.
const SLEEPER = "const net=require('net');process.stdin.once('data',(session)=>{const s=net.connect(process.argv[1],()=>s.write('POST attach HTTP/1.1\\r\\nContent-Type: application/json; charset=utf-8\\r\\nContent-Length: '+session.length+'\\r\\n\\r\\n'+session));s.once('data',(reply)=>{s.destroy();if(!String(reply).startsWith('HTTP/1.1 200'))process.exit(3);setInterval(()=>{},1000)})});";
for (let index = 0; index < Number(deadlines); index += 1) {
  const child = spawn(process.execPath, ['-e', SLEEPER, socketPath], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ at: performance.now(), code, signal })));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const session = await post(socketPath, 'open');
  const openedAt = performance.now();
  await post(socketPath, 'limits', { ...session, limits: { time: '0.2s' } });
  child.stdin.end(JSON.stringify(session));
  const safety = setTimeout(() => child.kill('SIGKILL'), 5000);
  const exit = await exited;
  clearTimeout(safety);
  if (exit.signal !== 'SIGKILL' || exit.at - openedAt > 4000) throw new Error('sleeper not killed by the deadline: ' + JSON.stringify(exit));
  lateness.push(exit.at - openedAt - 200);
  await post(socketPath, 'close', session);
}
process.stdout.write(JSON.stringify({ baselineMs, rootMs, cycleMs, lateness }) + '\n');
`;

const cgroups = await detectCgroups();
const parentPath = `/kolejka-bench-observer-${randomBytes(4).toString('hex')}`;
const dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-bench-'));
const socketPath = path.join(dir, 'observer.sock');
const baselinePath = path.join(dir, 'baseline.sock');
const reply = JSON.stringify({ sessions: 0, status: 'ok' });
const baseline = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Connection', 'close');
    response.end(reply);
  });
});
await new Promise((resolve) => baseline.listen(baselinePath, resolve));
const server = createObserverServer({ socketPath, cgroups });
await server.listen();
const parent = await cgroups.create(parentPath);
try {
  const client = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      CLIENT,
      socketPath,
      baselinePath,
      String(requests),
      String(deadlines),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await parent.movePid(client.pid);
  const [line] = await Promise.all([
    readline.createInterface({ input: client.stdout })[Symbol.asyncIterator]().next(),
    new Promise((resolve) => client.once('exit', resolve)),
  ]);
  const result = JSON.parse(line.value);
  const sorted = [...result.lateness].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
  console.log(`cgroup ${cgroups.version}, ${os.cpus().length} CPUs, node ${process.version}`);
  console.log(
    `request (root command): ${(result.rootMs * 1000).toFixed(0)} µs; bare node:http on a unix socket: ` +
      `${(result.baselineMs * 1000).toFixed(0)} µs; ratio ${(result.rootMs / result.baselineMs).toFixed(2)}×`,
  );
  console.log(
    `session cycle (open, limits, stats, close): ${result.cycleMs.toFixed(2)} ms = ` +
      `${(result.cycleMs / result.rootMs).toFixed(1)}× one request`,
  );
  console.log(
    `deadline kill after open + 0.2 s, ${sorted.length} sessions: median +${at(0.5)} ms, max +${at(1)} ms`,
  );
} finally {
  await server.close();
  await parent.remove();
  await new Promise((resolve) => baseline.close(resolve));
  await rm(dir, { recursive: true, force: true });
}
