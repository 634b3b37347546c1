import { parseArgs } from 'node:util';
// The table module has no runtime imports: this file stays free of @kolejka/spec and yargs.
import { pickLimitFlags } from '@kolejka/cli-kit/limit-flag-table';

/** The limit flags of `execute`: the limits the worker enforces itself. */
export const WORKER_LIMIT_FLAGS = pickLimitFlags([
  'cpus',
  'memory',
  'swap',
  'pids',
  'storage',
  'image',
  'workspace',
  'time',
  'network',
  'gpus',
]);
export type WorkerLimitFlag = (typeof WORKER_LIMIT_FLAGS)[number]['flag'];

/** The `execute` command's arguments, as yargs gives them to its handler. */
export interface ExecuteArgs extends Partial<Record<WorkerLimitFlag, string>> {
  task: string;
  result: string;
  pull: boolean;
  temp?: string;
  consume: boolean;
  'output-limit'?: string;
}

const BOOLEAN_OPTIONS = ['pull', 'consume'] as const;
const STRING_OPTIONS = ['temp', 'output-limit', ...WORKER_LIMIT_FLAGS.map((row) => row.flag)];

/**
 * The arguments of a plain `execute TASK RESULT [--option value …]` command line, read with
 * node's own parser; undefined for anything else (help, version, a typo, `--no-pull`, a
 * repeated option, an empty value, …), which then goes through yargs as before.
 *
 * Why: loading yargs costs about 100 ms, a third of a trivial task's whole run, and the
 * common command line needs none of it. The accepted forms are a strict subset of what
 * yargs reads the same way (`--memory 1G`, `--memory=1G`, `--pull`), so the two paths
 * never disagree; yargs keeps every message, `--help` and `--version`.
 */
export function fastExecuteArgs(argv: readonly string[]): ExecuteArgs | undefined {
  let parsed: ReturnType<typeof parseWith>;
  try {
    parsed = parseWith(argv);
  } catch {
    return undefined;
  }
  const { positionals, tokens } = parsed;
  if (positionals.length !== 3 || positionals[0] !== 'execute') return undefined;
  // yargs reads `--pull true` as the flag's value: leave such lines (and empty paths) to it.
  if (positionals.some((positional) => positional === '' || /^(true|false)$/.test(positional)))
    return undefined;
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') return undefined;
    if (token.kind !== 'option') continue;
    // The long name only: a short option is no option of this CLI.
    if (token.rawName !== `--${token.name}` || seen.has(token.name) || token.value === '')
      return undefined;
    seen.add(token.name);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const args: ExecuteArgs = {
    task: positionals[1] as string,
    result: positionals[2] as string,
    pull: values.pull === true,
    consume: values.consume === true,
  };
  for (const name of STRING_OPTIONS) {
    const value = values[name];
    if (typeof value === 'string') (args as unknown as Record<string, string>)[name] = value;
  }
  return args;
}

function parseWith(argv: readonly string[]) {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const name of BOOLEAN_OPTIONS) options[name] = { type: 'boolean' };
  for (const name of STRING_OPTIONS) options[name] = { type: 'string' };
  return parseArgs({
    args: [...argv],
    options,
    strict: true,
    allowPositionals: true,
    tokens: true,
  });
}
