import type { Argv } from 'yargs';
import type { Logger } from '@kolejka/spec';
import type { QueuePauseRecord, Store } from '../store/store.js';
import { writeLine, type CliIo } from './io.js';
import { withStorage, withStorageFlags } from './storage-options.js';

/* Queue control (issue 12) on the store directly: every server process on it obeys within half a second. */

function statusOf(pauses: QueuePauseRecord[]): Record<string, unknown> {
  return {
    isPaused: pauses.some((pause) => pause.tag === undefined),
    pausedTags: pauses.flatMap((pause) => (pause.tag === undefined ? [] : [pause.tag])),
    pauses: pauses.map((pause) => ({
      ...(pause.tag === undefined ? {} : { tag: pause.tag }),
      pausedBy: pause.pausedBy,
      pausedAt: pause.pausedAt.toISOString(),
    })),
  };
}

function describe(pauses: QueuePauseRecord[]): string {
  if (pauses.some((pause) => pause.tag === undefined)) return 'queue: paused (no task is assigned)';
  const tags = pauses.map((pause) => pause.tag ?? '');
  return tags.length > 0 ? `queue: running; paused tags: ${tags.join(', ')}` : 'queue: running';
}

async function report(io: CliIo, store: Store, isJson: boolean): Promise<void> {
  const pauses = await store.listQueuePauses();
  writeLine(io.stdout, isJson ? JSON.stringify(statusOf(pauses)) : describe(pauses));
}

export function queueCommands(io: CliIo, logger: Logger) {
  return (yargs: Argv) =>
    withStorageFlags(yargs)
      .option('tag', {
        type: 'string',
        describe:
          'Only the tasks that require this tag (spec "requires"); default: the whole queue',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
      .command(
        'pause',
        'Hold assignment of queued tasks (running tasks go on); kept in the store, so every server process obeys it and it survives restarts',
        (command) => command,
        async (argv) => {
          await withStorage(argv, io, logger, async ({ store }) => {
            await store.pauseQueue({
              ...(argv.tag === undefined ? {} : { tag: argv.tag }),
              pausedBy: 'kolejka-server',
              pausedAt: new Date(),
            });
            await report(io, store, argv.json);
          });
        },
      )
      .command(
        'resume',
        'Lift the pause of the whole queue, or of --tag',
        (command) => command,
        async (argv) => {
          await withStorage(argv, io, logger, async ({ store }) => {
            await store.resumeQueue(argv.tag);
            await report(io, store, argv.json);
          });
        },
      )
      .command(
        'status',
        'Show whether the queue, or which tags of it, is paused',
        (command) => command,
        async (argv) => {
          await withStorage(argv, io, logger, ({ store }) => report(io, store, argv.json));
        },
      )
      .demandCommand(1, 'Give a queue command: pause, resume or status');
}
