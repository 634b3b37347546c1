import type { Argv } from 'yargs';
import { KolejkaError, type Logger } from '@kolejka/spec';
import { TASK_STATES, TERMINAL_TASK_STATES, type TaskState } from '../store/store.js';
import { UsageError, table, writeLine, type CliIo } from './io.js';
import { withStorage, withStorageFlags } from './storage-options.js';

const date = (value: Date): string => value.toISOString().replace(/\.\d{3}Z$/, 'Z');

function states(values: string[] | undefined): TaskState[] | undefined {
  const list = (values ?? []).flatMap((value) => value.split(',')).filter((value) => value !== '');
  for (const state of list) {
    if (!(TASK_STATES as readonly string[]).includes(state))
      throw new UsageError(`${state} is not a task state (${TASK_STATES.join(', ')})`);
  }
  return list.length === 0 ? undefined : (list as TaskState[]);
}

export function taskCommands(io: CliIo, logger: Logger) {
  return (yargs: Argv) =>
    withStorageFlags(yargs)
      .command(
        'list',
        'List tasks, newest first',
        (command) =>
          command
            .option('state', {
              type: 'string',
              array: true,
              describe: `Only these states (repeatable or comma-separated): ${TASK_STATES.join(', ')}`,
            })
            .option('owner', { type: 'string', describe: 'Only tasks of this user' })
            .option('limit', { type: 'number', default: 100, describe: 'At most this many' }),
        async (argv) => {
          if (!Number.isInteger(argv.limit) || argv.limit < 1)
            throw new UsageError('--limit must be a whole number, 1 or more');
          const filter = {
            ...(argv.owner === undefined ? {} : { owner: argv.owner }),
            ...(states(argv.state) === undefined ? {} : { states: states(argv.state) }),
          };
          const tasks = await withStorage(argv, io, logger, async ({ store }) => {
            const found = [];
            let cursor: string | undefined;
            do {
              const page = await store.listTasks(filter, Math.min(1000, argv.limit), cursor);
              found.push(...page.items);
              cursor = page.nextCursor;
            } while (cursor !== undefined && found.length < argv.limit);
            return found.slice(0, argv.limit);
          });
          writeLine(
            io.stdout,
            table([
              ['KEY', 'STATE', 'OWNER', 'ATTEMPT', 'ASSIGNEE', 'CREATED'],
              ...tasks.map((task) => [
                task.key,
                task.state,
                task.owner,
                String(task.attempt),
                task.assignee ?? '-',
                date(task.createdAt),
              ]),
            ]),
          );
        },
      )
      .command(
        'remove <keys..>',
        'Delete tasks with their results (unfinished ones are cancelled first)',
        (command) =>
          command.positional('keys', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'Task keys',
          }),
        async (argv) => {
          const missing: string[] = [];
          await withStorage(argv, io, logger, async ({ store }) => {
            for (const key of argv.keys) {
              const task = await store.getTask(key);
              if (task !== undefined && !TERMINAL_TASK_STATES.includes(task.state))
                await store.cancelTask(key, 'removed by an administrator', new Date());
              if (await store.deleteTask(key, new Date()))
                writeLine(io.stdout, `task ${key} removed`);
              else missing.push(key);
            }
          });
          if (missing.length > 0)
            throw new KolejkaError('KOLEJKA_NOT_FOUND', `No task ${missing.join(', ')}`);
        },
      )
      .command(
        'requeue <key>',
        'Put a task back in the queue (clears its assignee, lease, result and lost attempts)',
        (command) =>
          command.positional('key', { type: 'string', demandOption: true, describe: 'Task key' }),
        async (argv) => {
          const task = await withStorage(argv, io, logger, async ({ store }) => {
            const requeued = await store.requeueTask(argv.key, new Date());
            if (requeued !== undefined) return requeued;
            const existing = await store.getTask(argv.key);
            throw new KolejkaError(
              existing === undefined ? 'KOLEJKA_NOT_FOUND' : 'KOLEJKA_CONFLICT',
              existing === undefined ? `No task ${argv.key}` : `Task ${argv.key} is already queued`,
            );
          });
          writeLine(io.stdout, `task ${task.key} requeued (attempt ${task.attempt} so far)`);
        },
      )
      .demandCommand(1, 'Give a task command: list, remove or requeue');
}
