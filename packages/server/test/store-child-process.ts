import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TS_NODE_ARGS } from './support/ts-loader.js';

const childScript = fileURLToPath(new URL('./store-child.ts', import.meta.url));

export interface StoreChild {
  process: ChildProcessWithoutNullStreams;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves when a line satisfying `predicate` has arrived. */
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | NodeJS.Signals | null>;
  stderr(): string;
}

/** Starts test/store-child.ts in a plain Node process (see there for the modes); it runs from sources like every child of a test (support/ts-loader.ts). */
export function spawnStoreChild(args: string[]): StoreChild {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, childScript, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const listener of listeners) listener(line);
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal)),
  );
  return {
    process: child,
    lines,
    exited,
    stderr: () => stderr,
    waitForLine(predicate, timeoutMs = 30_000) {
      const found = lines.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(`no matching line from the child in ${timeoutMs} ms; stderr: ${stderr}`),
          );
        }, timeoutMs);
        const listener = (line: string): void => {
          if (!predicate(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
        void exited.then(() => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`the child exited before a matching line; stderr: ${stderr}`));
        });
      });
    },
  };
}
