import type { Argv } from 'yargs';
import { KolejkaError, TASK_STATES, type TaskState } from '@kolejka/spec';
import type { RemoteTask } from '../../resources.js';
import { limitsFromFlags, withLimitFlags } from '@kolejka/cli-kit/limit-flags';
import type { Runner } from '../runner.js';
import { keyArg, targetDirArg } from './positionals.js';
import { dependencyOptionsFromFlags, withDependencyFlags } from './dependency-flags.js';
import type { GlobalArgs } from '../session.js';
import { assertPositiveInteger } from '../values.js';

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

function states(values: readonly string[] | undefined): TaskState[] | undefined {
  const list = (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  for (const state of list) {
    if (!(TASK_STATES as readonly string[]).includes(state)) {
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `--state: ${state} is not a task state (${TASK_STATES.join(', ')})`,
      );
    }
  }
  return list.length === 0 ? undefined : (list as TaskState[]);
}

export function taskCommands(run: Runner) {
  return {
    command: 'task <command>',
    describe: 'Tasks: put, get, list, cancel, requeue, delete, priority, move',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .command(
          'put <task-dir>',
          'Submit a task dir (files the server already holds are not sent again); prints its key',
          (command) =>
            withLimitFlags(
              withDependencyFlags(command)
                .positional('task-dir', {
                  type: 'string',
                  demandOption: true,
                  describe: 'Task directory',
                })
                .option('priority', { type: 'number', describe: 'Queue priority, -1000..1000' }),
            ),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client({ limits: limitsFromFlags(argv) });
              const { task, uploadedCount } = await client.putTaskDetailed(argv['task-dir'], {
                ...session.transfer(),
                ...(argv.priority === undefined ? {} : { priority: argv.priority }),
                ...dependencyOptionsFromFlags(argv),
              });
              session.progress.stop();
              session.output.value(task.key, {
                key: task.key,
                state: task.state,
                uploadedFiles: uploadedCount,
                task,
              });
            }),
        )
        .command(
          'get <key> <dir>',
          'Download a task into a directory (kolejka_task.json with local paths, and its files)',
          (command) => command.positional('key', keyArg).positional('dir', targetDirArg),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const got = await client.getTask(argv.key, argv.dir, session.transfer());
              session.progress.stop();
              session.output.info(
                `${got.task.key} → ${got.dir} (${Object.keys(got.spec.files).length} files)`,
                {
                  key: got.task.key,
                  dir: got.dir,
                  files: Object.keys(got.spec.files).sort(),
                  task: got.task,
                },
              );
            }),
        )
        .command(
          'list',
          'List your tasks, newest first',
          (command) =>
            command
              .option('state', {
                type: 'string',
                array: true,
                describe: `Only these states (comma-separated or repeated): ${TASK_STATES.join(', ')}`,
              })
              .option('owner', {
                type: 'string',
                describe: "Another user's tasks (inspectors, managers, admins)",
              })
              .option('limit', {
                type: 'number',
                default: 100,
                describe: 'At most this many tasks',
              })
              .option('cursor', {
                type: 'string',
                describe: 'Continue after a previous listing (its nextCursor)',
              }),
          (argv) =>
            run(argv, async (session) => {
              assertPositiveInteger('limit', argv.limit);
              const client = await session.client();
              const selected = states(argv.state);
              const items: RemoteTask[] = [];
              let cursor = argv.cursor;
              let nextCursor: string | undefined;
              do {
                const page = await client.listTasks(
                  {
                    limit: Math.min(1000, argv.limit - items.length),
                    ...(selected === undefined ? {} : { states: selected }),
                    ...(argv.owner === undefined ? {} : { owner: argv.owner }),
                    ...(cursor === undefined ? {} : { cursor }),
                  },
                  { signal: session.io.signal },
                );
                items.push(...page.items);
                nextCursor = page.nextCursor;
                cursor = page.nextCursor;
              } while (cursor !== undefined && items.length < argv.limit);
              if (session.output.isJson) {
                session.output.json({ items, ...(nextCursor === undefined ? {} : { nextCursor }) });
                return;
              }
              const rows = items.map((task) => [
                task.key,
                task.state,
                task.createdAt,
                task.spec.image ?? '-',
              ]);
              session.output.value(
                table([['KEY', 'STATE', 'CREATED', 'IMAGE'], ...rows]),
                undefined,
              );
              if (nextCursor !== undefined) session.output.info(`more: --cursor ${nextCursor}`);
            }),
        )
        .command(
          'cancel <key>',
          'Cancel a task that has not ended',
          (command) => command.positional('key', keyArg),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const task = await client.cancelTask(argv.key, { signal: session.io.signal });
              session.output.info(`${task.key} ${task.state}`, {
                key: task.key,
                state: task.state,
                task,
              });
            }),
        )
        .command(
          'requeue <key>',
          'Run an ended (finished, failed or cancelled) task again; its result is removed',
          (command) => command.positional('key', keyArg),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const task = await client.requeueTask(argv.key, { signal: session.io.signal });
              session.output.info(`${task.key} ${task.state}`, {
                key: task.key,
                state: task.state,
                task,
              });
            }),
        )
        .command(
          'delete <key>',
          'Delete a task and its result (cancelling it first); refused while tasks wait on it, unless --cascade',
          (command) =>
            command.positional('key', keyArg).option('cascade', {
              type: 'boolean',
              describe: 'Also cancel every task that waits on it (directly or further down)',
            }),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              await client.deleteTask(argv.key, {
                signal: session.io.signal,
                ...(argv.cascade === true ? { isCascade: true } : {}),
              });
              session.output.info(`${argv.key} deleted`, { key: argv.key, deleted: true });
            }),
        )
        // Queue control (issue 12)
        .command(
          'priority <key> <priority>',
          "Change a waiting or queued task's priority (owners up to the server's maxClientPriority; managers any)",
          (command) =>
            command.positional('key', keyArg).positional('priority', {
              type: 'number',
              demandOption: true,
              describe: 'New priority, -1000..1000 (higher runs first)',
            }),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const task = await client.setTaskPriority(argv.key, argv.priority, {
                signal: session.io.signal,
              });
              session.output.info(`${task.key} priority ${task.priority}`, {
                key: task.key,
                priority: task.priority,
                task,
              });
            }),
        )
        .command(
          'move <key>',
          'Reorder a waiting or queued task within its priority: --front, --back or --before OTHER (a task of the same priority)',
          (command) =>
            command
              .positional('key', keyArg)
              .option('front', { type: 'boolean', describe: 'Run it first among its priority' })
              .option('back', { type: 'boolean', describe: 'Run it last among its priority' })
              .option('before', { type: 'string', describe: 'Run it just before this task' })
              .conflicts('front', ['back', 'before'])
              .conflicts('back', 'before')
              .check((argv) => {
                if (argv.front !== true && argv.back !== true && argv.before === undefined)
                  throw new Error('Give one of --front, --back or --before KEY');
                return true;
              }),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const placement =
                argv.before !== undefined
                  ? { before: argv.before }
                  : { to: argv.front === true ? ('front' as const) : ('back' as const) };
              const task = await client.moveTask(argv.key, placement, {
                signal: session.io.signal,
              });
              session.output.info(`${task.key} moved`, { key: task.key, placement, task });
            }),
        )
        .demandCommand(
          1,
          'Give a task command: put, get, list, cancel, requeue, delete, priority or move',
        ),
    handler: () => undefined,
  };
}
