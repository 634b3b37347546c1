import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

/*
 * Module hooks that let a plain `node` child process run this repository's TypeScript
 * sources (vitest transforms them only inside its own workers): `./x.js` imports resolve to
 * `./x.ts`, whose type syntax TypeScript's transpileModule strips. Outputs are cached on
 * disk by content, so only the first child of a run pays for loading the compiler. The
 * hooks travel as a data: URL (plain JavaScript, nothing to lint or build).
 */
const HOOKS = `
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
let settings;
let ts;
export function initialize(data) { settings = data; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts'))
      return next(specifier.slice(0, -3) + '.ts', context);
    throw error;
  }
}
export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  const cached = settings.cacheDir + '/' + createHash('sha256').update(file).update(source).digest('hex') + '.js';
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {}
  ts ??= (await import(settings.typescript)).default;
  const output = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  }).outputText;
  await mkdir(settings.cacheDir, { recursive: true });
  const temp = cached + '.' + process.pid + '.tmp';
  await writeFile(temp, output);
  await rename(temp, cached);
  return { format: 'module', source: output, shortCircuit: true };
}
`;

const settings = {
  cacheDir: path.join(tmpdir(), 'kolejka-test-ts-cache'),
  typescript: pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href,
};
const register = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(
    `data:text/javascript,${encodeURIComponent(HOOKS)}`,
  )}, { data: ${JSON.stringify(settings)} });`,
)}`;
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

/** Starts test/store-child.ts in a plain Node process (see there for the modes). */
export function spawnStoreChild(args: string[]): StoreChild {
  const child = spawn(
    process.execPath,
    ['--conditions=@kolejka/source', '--import', register, childScript, ...args],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
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
