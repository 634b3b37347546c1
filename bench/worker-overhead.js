// What does the worker cost on top of Docker itself? Runs a trivial task (busybox `true`,
// no network) N times three ways, interleaved so that machine noise hits all alike:
//   (a) the kolejka-worker CLI:   node packages/worker/bin/kolejka-worker.js execute TASK RESULT
//   (b) the library, in process:  createWorker().execute(TASK, RESULT)
//   (c) bare Docker:              docker run --rm --network none kolejka-test/busybox:latest true
// and prints the median wall time of each and the ratios a/c and b/c.
// Run after `pnpm build` (it uses the built dist):  node bench/worker-overhead.js [runs]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createWorker } from '../packages/worker/dist/index.js';

const runs = Number(process.argv[2] ?? 15);
const image = 'kolejka-test/busybox:latest';
const root = await mkdtemp(path.join(os.tmpdir(), 'kolejka-bench-worker-'));
const task = path.join(root, 'task');
await rm(task, { recursive: true, force: true });
await import('node:fs/promises').then(({ mkdir }) => mkdir(task));
await writeFile(
  path.join(task, 'kolejka_task.json'),
  JSON.stringify({ id: 'bench', image, args: ['true'], limits: { network: false } }),
);
const bin = new URL('../packages/worker/bin/kolejka-worker.js', import.meta.url).pathname;

let counter = 0;
const resultDir = () => path.join(root, `result-${(counter += 1)}`);

function timed(run) {
  const started = process.hrtime.bigint();
  const out = run();
  return out instanceof Promise
    ? out.then(() => Number(process.hrtime.bigint() - started) / 1e6)
    : Number(process.hrtime.bigint() - started) / 1e6;
}

function check(run, what) {
  if (run.status !== 0) throw new Error(`${what} failed (${run.status}): ${run.stderr}`);
}

const worker = createWorker();
const ways = {
  cli: () =>
    check(
      spawnSync(process.execPath, [bin, 'execute', task, resultDir()], { encoding: 'utf8' }),
      'the CLI',
    ),
  library: () => worker.execute(task, resultDir()),
  docker: () =>
    check(
      spawnSync('docker', ['run', '--rm', '--network', 'none', image, 'true'], {
        encoding: 'utf8',
      }),
      'docker run',
    ),
};

// One warm-up round (image cache, module loading), not measured.
for (const run of Object.values(ways)) await run();
const times = { cli: [], library: [], docker: [] };
for (let round = 0; round < runs; round++) {
  for (const [name, run] of Object.entries(ways)) times[name].push(await timed(run));
}
await worker.close();
await rm(root, { recursive: true, force: true });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const a = median(times.cli);
const b = median(times.library);
const c = median(times.docker);
console.log(`runs                         ${runs} (interleaved, after one warm-up round)`);
console.log(`(a) kolejka-worker execute   ${a.toFixed(0)} ms median`);
console.log(`(b) library execute()        ${b.toFixed(0)} ms median`);
console.log(`(c) docker run --rm          ${c.toFixed(0)} ms median`);
console.log(`a/c                          ${(a / c).toFixed(2)}   (target <= 1.15)`);
console.log(`b/c                          ${(b / c).toFixed(2)}   (target <= 1.00)`);
