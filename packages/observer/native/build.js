#!/usr/bin/env node
// Compiles the SO_PEERCRED addon (native/peer_credentials.c) with node-gyp. Run by the
// package's `build` script, and by the integration tests with --if-stale. Offline machines
// have Node's headers next to the binary (<prefix>/include/node); node-gyp is told to use
// them so it never tries to download anything. Without them node-gyp does its default.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, 'build', 'Release', 'kolejka_peer_credentials.node');
const sources = ['binding.gyp', 'peer_credentials.c'].map((name) => join(here, name));
const lockDir = join(here, '.build-lock');
const lockStaleMs = 180_000;

function isFresh() {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return sources.every((source) => statSync(source).mtimeMs <= built);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function holderIsGone() {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

// Test files run in parallel and may all ask for the addon at once: one builds, the rest
// wait. A lock left by a build that was killed is taken over (its pid is gone, or it is old).
function withLock(action) {
  const deadline = Date.now() + lockStaleMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let age = 0;
      try {
        age = Date.now() - statSync(lockDir).mtimeMs;
      } catch {
        continue;
      }
      if (age > lockStaleMs || (age > 1000 && holderIsGone())) {
        rmSync(lockDir, { recursive: true, force: true });
      } else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      else sleep(100);
    }
  }
  try {
    return action();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function nodeGypArgs() {
  const require = createRequire(join(here, '..', 'package.json'));
  let nodeGyp;
  try {
    nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch (error) {
    throw new Error(
      'node-gyp is not installed (it is a devDependency of @kolejka/observer); run `pnpm install` first',
      { cause: error },
    );
  }
  const args = [nodeGyp, 'rebuild', '--directory', here];
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  return args;
}

function build() {
  if (process.argv.includes('--if-stale') && isFresh()) return;
  withLock(() => {
    if (process.argv.includes('--if-stale') && isFresh()) return;
    const args = nodeGypArgs();
    const run = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
    if (run.status !== 0) {
      process.stderr.write(run.stdout ?? '');
      process.stderr.write(run.stderr ?? '');
      throw new Error(
        `node-gyp failed (exit ${run.status ?? run.signal}) building ${output}; command: node ${args.join(' ')}`,
      );
    }
    if (!existsSync(output)) throw new Error(`node-gyp succeeded but ${output} is missing`);
  });
}

try {
  build();
} catch (error) {
  process.stderr.write(`kolejka-observer native build: ${error.message}\n`);
  process.exitCode = 1;
}
