// The dashboard's task list and overview (issue 13) at scale: a SQLite store with 100,000
// tasks (almost all ended, a few running and queued), and the time of one first page of
// `listTasks` for each filter the dashboard offers, and of `taskActivity` (the overview's
// last hour). Each figure is the median of `--runs` runs with its spread (min–p90–max),
// measured after one warm-up run; the load average is printed before and after, since the
// machine is shared. The baseline is the same page with no filter, in the same process.
// Run after `pnpm build`:
//   node bench/task-list.js [--tasks 100000] [--runs 30] [--limit 50]
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../packages/server/dist/store/open-store.js';

// better-sqlite3 is the server's dependency, not the root's.
const Database = createRequire(new URL('../packages/server/package.json', import.meta.url))(
  'better-sqlite3',
);

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const TASKS = option('tasks', 100_000);
const RUNS = option('runs', 30);
const LIMIT = option('limit', 50);
const IMAGES = 10;
const MINUTE = 60_000;

const keyOf = (i) => i.toString(16).padStart(8, '0').repeat(4);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

function makeTask(i, createdAt) {
  const key = keyOf(i);
  return {
    key,
    owner: `user${i % 50}`,
    spec: {
      id: key,
      image: `judge/lang${i % IMAGES}:1`,
      // One task in a hundred needs a GPU: a tag filter that matches 1 %.
      requires: i % 100 === 0 ? ['gpu'] : [],
      limits: { cpus: 1, memory: '64M' },
      environment: {},
      args: ['true'],
      files: {},
      collect: [],
    },
    state: 'queued',
    priority: 0,
    attempt: 0,
    lostCount: 0,
    maxAttempts: 3,
    createdAt,
    updatedAt: createdAt,
  };
}

const home = await mkdtemp(path.join(tmpdir(), 'kolejka-bench-tasks-'));
const file = path.join(home, 'kolejka.sqlite3');
try {
  // Tasks created one a second up to now; the last hour's worth counts in the overview.
  const now = Date.now();
  const first = now - TASKS * 1000;
  const fillStarted = Date.now();
  let store = await openStore({ url: file, home });
  const batch = 2000;
  for (let start = 0; start < TASKS; start += batch) {
    const writes = [];
    for (let i = start; i < Math.min(TASKS, start + batch); i++)
      writes.push(store.createTask(makeTask(i, new Date(first + i * 1000))));
    await Promise.all(writes);
  }
  await store.close();
  // The store creates tasks queued only; end them here as finishing would (assigned 0–30 s
  // after creation, ended 1–60 s later), failing 5 % and cancelling 2 %, and keep the newest
  // 20 running and the newest 10 queued.
  const db = new Database(file);
  db.exec(`
    UPDATE tasks SET
      assigned_at = created_at + (abs(random()) % 30000),
      attempt = 1, assignee = 'f' || (rowid % 10)
    WHERE key NOT IN (SELECT key FROM tasks ORDER BY created_at DESC LIMIT 10);
    UPDATE tasks SET
      state = CASE WHEN rowid % 50 = 0 THEN 'cancelled' WHEN rowid % 20 = 0 THEN 'failed' ELSE 'finished' END,
      finished_at = assigned_at + 1000 + (abs(random()) % 59000)
    WHERE key NOT IN (SELECT key FROM tasks ORDER BY created_at DESC LIMIT 30);
    UPDATE tasks SET state = 'running', started_at = assigned_at
    WHERE state = 'queued' AND assigned_at IS NOT NULL;
  `);
  const counts = db.prepare('SELECT state, count(*) AS n FROM tasks GROUP BY state').all();
  db.close();
  console.log(
    `${TASKS} tasks stored in ${((Date.now() - fillStarted) / 1000).toFixed(1)} s: ${counts
      .map((row) => `${row.state} ${row.n}`)
      .join(', ')}`,
  );

  store = await openStore({ url: file, home });
  const some = keyOf(Math.floor(TASKS / 3));
  const cases = [
    ['no filter (baseline)', () => store.listTasks({}, LIMIT)],
    ['state=running (20 of 100k)', () => store.listTasks({ states: ['running'] }, LIMIT)],
    [
      'state=queued, owner (rare)',
      () => store.listTasks({ states: ['queued'], owner: 'user3' }, LIMIT),
    ],
    ['state=failed (5 %)', () => store.listTasks({ states: ['failed'] }, LIMIT)],
    ['state=failed,cancelled', () => store.listTasks({ states: ['failed', 'cancelled'] }, LIMIT)],
    [
      'state=queued,running (rare)',
      () => store.listTasks({ states: ['queued', 'running'] }, LIMIT),
    ],
    ['tag=gpu (1 %)', () => store.listTasks({ tag: 'gpu' }, LIMIT)],
    ['tag=none (no match)', () => store.listTasks({ tag: 'none' }, LIMIT)],
    ['tag=gpu, state=running', () => store.listTasks({ tag: 'gpu', states: ['running'] }, LIMIT)],
    ['image (10 %)', () => store.listTasks({ image: 'judge/lang3:1' }, LIMIT)],
    ['image=none (no match)', () => store.listTasks({ image: 'judge/none:1' }, LIMIT)],
    ['q=4 hex (1 match)', () => store.listTasks({ keyContains: some.slice(2, 6) }, LIMIT)],
    ['q=full key', () => store.listTasks({ keyContains: some }, LIMIT)],
    ['sort=oldest', () => store.listTasks({ sort: 'oldest' }, LIMIT)],
    [
      'sort=oldest, state=failed',
      () => store.listTasks({ sort: 'oldest', states: ['failed'] }, LIMIT),
    ],
    ['taskActivity (last hour)', () => store.taskActivity(new Date(now - 60 * MINUTE))],
    ['taskActivity, owner', () => store.taskActivity(new Date(now - 60 * MINUTE), 'user7')],
    ['countTasksByState', () => store.countTasksByState()],
  ];
  console.log(
    `first page of ${LIMIT}, median of ${RUNS} runs [min–p90–max]; load before: ${load()}`,
  );
  let baseline = 0;
  for (const [name, run] of cases) {
    if (typeof run !== 'function') continue;
    await run();
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const started = process.hrtime.bigint();
      await run();
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    const median = at(0.5);
    if (baseline === 0) baseline = median;
    console.log(
      `  ${name.padEnd(30)} ${median.toFixed(2).padStart(8)} ms [${times[0].toFixed(2)}–${at(0.9).toFixed(2)}–${times[times.length - 1].toFixed(2)}]  ${(median / baseline).toFixed(1)}x`,
    );
  }
  console.log(`load after: ${load()}`);
  await store.close();
} finally {
  await rm(home, { recursive: true, force: true });
}
