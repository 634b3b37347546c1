import type { Argv } from 'yargs';
import { KolejkaError } from '@kolejka/spec';
import type { AfterPolicy, DependencyOptions, TaskInput } from '../../graph/graph-operations.js';

/** The flags of `execute` and `task put` that make a task wait on others. */
export interface DependencyFlags {
  after?: string[];
  'after-policy'?: string;
  input?: string[];
}

const POLICIES: readonly AfterPolicy[] = ['finished', 'succeeded', 'any'];

export function withDependencyFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('after', {
      type: 'string',
      array: true,
      describe:
        'Wait for these tasks (KEY[,KEY…], repeatable): the task is stored waiting and queued when they end as --after-policy asks',
    })
    .option('after-policy', {
      type: 'string',
      choices: POLICIES,
      describe:
        'finished (default): each dependency stored a result, any exit code; succeeded: exit code 0; any: also failed or cancelled. A dependency that cannot satisfy it cancels this task',
    })
    .option('input', {
      type: 'string',
      array: true,
      describe:
        "NAME=KEY:PATH (repeatable): the file PATH of dependency KEY's result becomes task file NAME",
    });
}

/** Reads the flags into submission options (none when no flag is given). */
export function dependencyOptionsFromFlags(argv: DependencyFlags): DependencyOptions {
  const dependencies = (argv.after ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  const inputs: Record<string, TaskInput> = {};
  for (const value of argv.input ?? []) {
    const match = /^([^=]+)=([0-9a-f]{32}):(.+)$/.exec(value);
    if (match === null)
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `--input ${JSON.stringify(value)}: write NAME=KEY:PATH (a task file name, a dependency key, a file in its result)`,
      );
    const [, name = '', from = '', path = ''] = match;
    inputs[name] = { from, path };
    if (!dependencies.includes(from)) dependencies.push(from);
  }
  return {
    ...(dependencies.length === 0 ? {} : { dependencies }),
    ...(argv['after-policy'] === undefined ? {} : { after: argv['after-policy'] as AfterPolicy }),
    ...(Object.keys(inputs).length === 0 ? {} : { inputs }),
  };
}
