// The dashboard with a full store: how long until a page is interactive (its data drawn)
// with 10,000 tasks, against the API request that page waits on, fetched alone from the
// same browser tab. A real kolejka-server (the built CLI, SQLite in a temporary home),
// 10,000 tasks submitted through API v1 (mixed images and tags; every tenth cancelled, no
// foreman), and Debian's Chromium driven by playwright-core. For each page, interleaved
// rounds: (a) navigate to the page and wait for its data on screen (time since navigation
// start, in the page's own clock), (b) the page's main API request with fetch() in the
// page. It prints the medians, min–max, the ratio a/b and the machine's load; target:
// (a) ≤ 1 s on every page. Also the built assets' size (gzipped).
// Run after `pnpm build`:  node bench/dashboard.js [--tasks 10000] [--rounds 9]
import { spawn } from 'node:child_process';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { chromium } from '../packages/dashboard/node_modules/playwright-core/index.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const TASKS = option('tasks', 10_000);
const ROUNDS = option('rounds', 9);
const SERVER = new URL('../packages/server/bin/kolejka-server.js', import.meta.url).pathname;
const DIST = new URL('../packages/dashboard/dist/assets/', import.meta.url).pathname;
const PASSWORD = 'bench-password';

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => `${value.toFixed(0)} ms`;

function runServerCli(argv, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end(input ?? '');
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(stderr))));
  });
}

const home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-bench-dashboard-'));
await runServerCli(
  ['user', 'add', 'boss', '--role', 'admin', '--password-stdin', '--home', home],
  `${PASSWORD}\n`,
);
const server = spawn(process.execPath, [SERVER, 'serve', '--home', home, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, KOLEJKA_LOG_LEVEL: 'warn' },
});
const url = await new Promise((resolve, reject) => {
  createInterface({ input: server.stdout }).on('line', (line) => {
    const listening = JSON.parse(line).listening;
    if (listening !== undefined) resolve(listening);
  });
  server.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
});

let browser;
try {
  const token = (
    await (
      await fetch(`${url}/api/v1/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'boss', password: PASSWORD }),
      })
    ).json()
  ).token;
  const api = async (method, route, body) => {
    const response = await fetch(`${url}/api/v1${route}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  };

  const filling = performance.now();
  let someKey;
  for (let start = 0; start < TASKS; start += 50) {
    const batch = Array.from({ length: Math.min(50, TASKS - start) }, async (_, offset) => {
      const index = start + offset;
      const task = await api('POST', '/tasks', {
        task: {
          image: index % 3 === 0 ? 'kolejka-test/gcc:bookworm' : 'kolejka-test/busybox:latest',
          args: ['sh', '-c', `echo ${index}`],
          requires: index % 5 === 0 ? ['gpu'] : [],
          limits: { cpus: 1, memory: '64M', time: '10s' },
        },
      });
      if (index % 10 === 0) await api('POST', `/tasks/${task.key}/cancel`);
      someKey ??= task.key;
    });
    await Promise.all(batch);
  }
  console.log(`${TASKS} tasks submitted in ${ms(performance.now() - filling)}`);

  browser = await chromium.launch({
    executablePath: process.env.KOLEJKA_TEST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-gpu',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(`${url}/ui/`);
  await page.getByLabel('User name').fill('boss');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();

  const pages = [
    { name: 'overview', route: '/ui/', ready: '.count', api: '/overview' },
    {
      name: 'tasks (newest)',
      route: '/ui/tasks',
      ready: 'table.tasks tbody tr',
      api: '/tasks?limit=50',
    },
    {
      name: 'tasks, state=cancelled',
      route: '/ui/tasks?state=cancelled',
      ready: 'table.tasks tbody tr',
      api: '/tasks?state=cancelled&limit=50',
    },
    {
      name: 'tasks, tag=gpu',
      route: '/ui/tasks?tag=gpu',
      ready: 'table.tasks tbody tr',
      api: '/tasks?tag=gpu&limit=50',
    },
    { name: 'task', route: `/ui/tasks/${someKey}`, ready: 'h1 .state', api: `/tasks/${someKey}` },
  ];
  const results = new Map(pages.map((item) => [item.name, { ui: [], api: [] }]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const item of pages) {
      await page.goto(`${url}${item.route}`);
      const drawn = await (
        await page.waitForFunction(
          (selector) => globalThis.document.querySelector(selector) !== null && performance.now(),
          item.ready,
          {
            polling: 'raf',
            timeout: 30_000,
          },
        )
      ).jsonValue();
      const fetched = await page.evaluate(
        async ({ route, secret }) => {
          const started = performance.now();
          const response = await fetch(`/api/v1${route}`, {
            headers: { Authorization: `Bearer ${secret}` },
          });
          await response.json();
          return performance.now() - started;
        },
        { route: item.api, secret: token },
      );
      if (round === 0) continue; // warm-up: the browser's cache and the server's JIT
      results.get(item.name).ui.push(drawn);
      results.get(item.name).api.push(fetched);
    }
  }

  console.log(
    `dashboard with ${TASKS} tasks, ${ROUNDS} interleaved rounds; load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')} (${os.cpus().length} CPUs)`,
  );
  console.log(
    'page                      (a) interactive, median [min–max]   (b) its API request alone   a/b',
  );
  for (const item of pages) {
    const { ui, api: alone } = results.get(item.name);
    const a = median(ui);
    const b = median(alone);
    console.log(
      `${item.name.padEnd(25)} ${ms(a).padStart(7)} [${ms(Math.min(...ui))}–${ms(Math.max(...ui))}]`.padEnd(
        63,
      ) +
        `${ms(b).padStart(7)} [${ms(Math.min(...alone))}–${ms(Math.max(...alone))}]`.padEnd(28) +
        `${(a / b).toFixed(1)}x${a <= 1000 ? '' : '  (over the 1 s target)'}`,
    );
  }
  let raw = 0;
  let zipped = 0;
  for (const name of await readdir(DIST)) {
    const bytes = await readFile(path.join(DIST, name));
    raw += bytes.length;
    zipped += gzipSync(bytes).length;
  }
  console.log(
    `built assets: ${(raw / 1024).toFixed(1)} kB, ${(zipped / 1024).toFixed(1)} kB gzipped (target < 200 kB gzipped)`,
  );
} finally {
  await browser?.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(home, { recursive: true, force: true });
}
