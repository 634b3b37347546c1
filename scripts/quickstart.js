// The README's main job (`pnpm start`, after scripts/setup.sh): a whole Kolejka system on
// this machine, once. It starts `kolejka-server serve` on the embedded store (SQLite and a
// blob directory under .kolejka/quickstart), makes a processor user and a client user with
// tokens, starts `kolejka-foreman` with the machine as its capacity, runs
// `kolejka-client execute examples/hello <result dir>`, prints the result, then stops what
// it started (by pid) and exits 0.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
// KOLEJKA_QUICKSTART_HOME and KOLEJKA_QUICKSTART_CONTAINER_PREFIX let the test run it aside.
const home = path.resolve(
  process.env.KOLEJKA_QUICKSTART_HOME || path.join(root, '.kolejka', 'quickstart'),
);
const containerPrefix = process.env.KOLEJKA_QUICKSTART_CONTAINER_PREFIX || 'kolejka-quickstart-';
const serverHome = path.join(home, 'server');
const foremanTemp = path.join(home, 'foreman');
const resultDir = path.join(home, 'result-hello');
const taskDir = path.join(root, 'examples', 'hello');
const IMAGE = 'kolejka-test/busybox:latest';
const bins = {
  server: path.join(root, 'packages/server/bin/kolejka-server.js'),
  foreman: path.join(root, 'packages/foreman/bin/kolejka-foreman.js'),
  client: path.join(root, 'packages/client/bin/kolejka-client.js'),
};
const relative = (file) => {
  const shown = path.relative(process.cwd(), file) || '.';
  return shown.startsWith('..') ? file : shown;
};
const say = (text) => console.log(`[quickstart] ${text}`);

class QuickstartError extends Error {}

/** "25276502016b" → "23.5 GiB" (capacity as the foreman logs it). */
function readable(value) {
  const match = /^(\d+)b$/.exec(String(value));
  if (match === null) return String(value);
  const bytes = Number(match[1]);
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** Processes this script started, stopped by pid at the end (and on Ctrl-C). */
const children = [];

function start(name, args, logFile) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KOLEJKA_LOG_LEVEL: process.env.KOLEJKA_LOG_LEVEL ?? 'info' },
  });
  const log = createWriteStream(logFile);
  child.stderr.pipe(log, { end: false });
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // Every stdout line goes to the log once and to whoever waits for one.
  const listeners = new Set();
  createInterface({ input: child.stdout }).on('line', (line) => {
    log.write(`${line}\n`);
    let parsed;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    for (const listener of listeners) listener(parsed);
  });
  const entry = { name, child, exited, log, logFile, listeners };
  children.push(entry);
  return entry;
}

/** Resolves with the first stdout line (JSON) `match` accepts. */
function waitForLine(entry, match, what, timeoutMs) {
  return new Promise((resolve, reject) => {
    const listener = (parsed) => {
      if (!match(parsed)) return;
      clearTimeout(timer);
      entry.listeners.delete(listener);
      resolve(parsed);
    };
    const timer = setTimeout(() => {
      entry.listeners.delete(listener);
      reject(
        new QuickstartError(
          `${entry.name} did not report ${what} within ${timeoutMs / 1000} s; see ${relative(entry.logFile)}`,
        ),
      );
    }, timeoutMs);
    entry.listeners.add(listener);
    void entry.exited.then(({ code, signal }) => {
      if (!entry.listeners.has(listener)) return;
      clearTimeout(timer);
      entry.listeners.delete(listener);
      reject(
        new QuickstartError(
          `${entry.name} exited (${code ?? signal}) before ${what}; see ${relative(entry.logFile)}`,
        ),
      );
    });
  });
}

async function stopAll() {
  for (const entry of [...children].reverse()) {
    if (entry.child.exitCode === null && entry.child.signalCode === null) {
      entry.child.kill('SIGTERM');
      const timer = setTimeout(() => entry.child.kill('SIGKILL'), 15_000);
      await entry.exited;
      clearTimeout(timer);
    }
    entry.log.end();
  }
}

async function checkPrerequisites() {
  const missing = Object.values(bins).filter(
    (bin) => !existsSync(path.join(path.dirname(bin), '../dist/cli.js')),
  );
  if (missing.length > 0)
    throw new QuickstartError(
      'the packages are not built: run ./scripts/setup.sh (or pnpm install && pnpm build) first',
    );
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 20_000 });
  } catch (error) {
    const why =
      error.code === 'ENOENT'
        ? 'the docker command is not installed'
        : (error.stderr || error.message).trim();
    throw new QuickstartError(
      `Docker is not available (${why}).\nRun ./scripts/prepare-docker.sh: it installs and starts Docker and builds the local images (or ./scripts/setup.sh for everything).`,
    );
  }
  try {
    await run('docker', ['image', 'inspect', IMAGE], { timeout: 20_000 });
  } catch {
    throw new QuickstartError(
      `the image ${IMAGE} is missing: run ./scripts/prepare-docker.sh to build it (offline)`,
    );
  }
}

/** `kolejka-server ARGS` on the quickstart home; resolves with its standard output. */
async function admin(args) {
  try {
    const { stdout } = await run(process.execPath, [bins.server, ...args, '--home', serverHome], {
      timeout: 60_000,
    });
    return stdout.trim();
  } catch (error) {
    throw new QuickstartError(
      `kolejka-server ${args.join(' ')} failed: ${(error.stderr || error.message).trim()}`,
    );
  }
}

async function main() {
  await checkPrerequisites();
  say('Docker is running and the local images are ready');
  await rm(serverHome, { recursive: true, force: true });
  await rm(resultDir, { recursive: true, force: true });
  await mkdir(home, { recursive: true });

  await admin(['user', 'add', 'quickstart-foreman', '--role', 'processor']);
  await admin(['user', 'add', 'quickstart-client', '--role', 'client']);
  const processorToken = await admin([
    'token',
    'create',
    'quickstart-foreman',
    '--label',
    'quickstart',
  ]);
  const clientToken = await admin([
    'token',
    'create',
    'quickstart-client',
    '--label',
    'quickstart',
  ]);
  say('users quickstart-foreman (processor) and quickstart-client (client) have tokens');

  const server = start(
    'kolejka-server',
    [bins.server, 'serve', '--home', serverHome, '--port', '0'],
    path.join(home, 'server.log'),
  );
  const { listening: url } = await waitForLine(
    server,
    (line) => typeof line.listening === 'string',
    'where it listens',
    30_000,
  );
  say(`kolejka-server serves ${url} (store: ${relative(serverHome)})`);

  const foreman = start(
    'kolejka-foreman',
    [
      bins.foreman,
      ...['--server', url, '--token', processorToken, '--id', 'quickstart'],
      ...['--temp', foremanTemp, '--container-prefix', containerPrefix],
    ],
    path.join(home, 'foreman.log'),
  );
  const started = waitForLine(
    foreman,
    (line) => line.message === 'foreman started',
    'its start',
    60_000,
  );
  await waitForLine(
    foreman,
    (line) => line.message === 'connected',
    'its connection to the server',
    60_000,
  );
  const { capacity, tags } = await started;
  const shown = Object.entries(capacity).map(([name, value]) => `${name} ${readable(value)}`);
  say(`kolejka-foreman "quickstart" is connected: ${shown.join(', ')}; tags ${tags.join(', ')}`);

  say(`$ kolejka-client execute ${relative(taskDir)} ${relative(resultDir)}`);
  const client = spawn(
    process.execPath,
    [bins.client, 'execute', taskDir, resultDir, '--timeout', '120s'],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, KOLEJKA_SERVER: url, KOLEJKA_TOKEN: clientToken },
    },
  );
  const clientExit = await new Promise((resolve) =>
    client.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  if (clientExit !== 0)
    throw new QuickstartError(
      `kolejka-client execute exited with ${clientExit}; logs: ${relative(home)}/*.log`,
    );

  const result = JSON.parse(await readFile(path.join(resultDir, 'kolejka_result.json'), 'utf8'));
  console.log('--- console.txt');
  process.stdout.write(await readFile(path.join(resultDir, 'console.txt'), 'utf8'));
  console.log('---');
  const stats = result.stats ?? {};
  say(
    `exit code ${result.result} (${result.termination?.reason ?? 'exited'}), wall time ${stats.time}, ` +
      `memory peak ${readable(stats.memory?.max_usage)}, CPU offset ${result.limits?.cpus_offset}`,
  );
  say(`the result directory is ${relative(resultDir)} (kolejka_result.json and console.txt)`);
}

let status = 0;
let isInterrupted = false;
const interrupt = () => {
  if (isInterrupted) process.exit(130);
  isInterrupted = true;
  say('interrupted: stopping what was started');
  void stopAll().then(() => process.exit(130));
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);
try {
  await main();
} catch (error) {
  status = 1;
  console.error(`[quickstart] ${error instanceof QuickstartError ? error.message : error.stack}`);
}
await stopAll();
if (status === 0) say(`stopped the foreman and the server; their logs are in ${relative(home)}`);
process.exit(status);
