import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/*
 * Node options that let a plain `node` child of a test run this repository's TypeScript
 * sources (vitest compiles them only inside its own workers): `./x.js` imports resolve to
 * `./x.ts`, and types are stripped with TypeScript's transpileModule, cached on disk by
 * content so later children start fast. The hooks go to Node as a data: URL.
 */
const HOOKS = `
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
let options;
let typescript;
export function initialize(data) { options = data; }
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const isRelativeJs = specifier.startsWith('.') && specifier.endsWith('.js');
    if (isRelativeJs && context.parentURL && context.parentURL.endsWith('.ts'))
      return nextResolve(specifier.slice(0, -3) + '.ts', context);
    throw error;
  }
}
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  const key = createHash('sha256').update(file).update('\\0').update(source).digest('hex');
  const cached = options.cacheDir + '/' + key + '.js';
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {}
  typescript ??= (await import(options.typescript)).default;
  const output = typescript.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: typescript.ModuleKind.ESNext,
      target: typescript.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  }).outputText;
  await mkdir(options.cacheDir, { recursive: true });
  const temporary = cached + '.' + process.pid + '.tmp';
  await writeFile(temporary, output);
  await rename(temporary, cached);
  return { format: 'module', source: output, shortCircuit: true };
}
`;

const data = {
  cacheDir: path.join(tmpdir(), 'kolejka-test-server-ts'),
  typescript: pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href,
};

const hooksUrl = `data:text/javascript,${encodeURIComponent(HOOKS)}`;
const registration = `import { register } from 'node:module'; register(${JSON.stringify(hooksUrl)}, { data: ${JSON.stringify(data)} });`;

/** `node` arguments before the entry script: the source condition and the hooks. */
export const TS_NODE_ARGS = [
  '--conditions=@kolejka/source',
  '--import',
  `data:text/javascript,${encodeURIComponent(registration)}`,
];
