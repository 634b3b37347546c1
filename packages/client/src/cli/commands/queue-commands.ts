import type { Argv } from 'yargs';
import type { QueueStatus } from '../../queue/queue-operations.js';
import type { Runner } from '../runner.js';
import type { GlobalArgs } from '../session.js';

/** One line for people: what is paused. */
export function describeQueueStatus(status: QueueStatus): string {
  if (status.isPaused) return 'queue: paused (no task is assigned)';
  if (status.pausedTags.length > 0)
    return `queue: running; paused tags: ${status.pausedTags.join(', ')}`;
  return 'queue: running';
}

const tagOption = {
  type: 'string',
  describe: 'Only the tasks that require this tag (spec "requires"); default: the whole queue',
} as const;

/** `kolejka-client queue pause|resume|status` (issue 12). */
export function queueCommands(run: Runner) {
  return {
    command: 'queue <command>',
    describe: 'Queue control: pause, resume, status',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .command(
          'pause',
          'Hold assignment of queued tasks (managers, admins); running tasks go on. Every server process obeys it, and it survives restarts',
          (command) => command.option('tag', tagOption),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const status = await client.pauseQueue({
                ...(argv.tag === undefined ? {} : { tag: argv.tag }),
                signal: session.io.signal,
              });
              session.output.info(describeQueueStatus(status), { ...status });
            }),
        )
        .command(
          'resume',
          'Lift a pause of the whole queue or of one tag (managers, admins)',
          (command) => command.option('tag', tagOption),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const status = await client.resumeQueue({
                ...(argv.tag === undefined ? {} : { tag: argv.tag }),
                signal: session.io.signal,
              });
              session.output.info(describeQueueStatus(status), { ...status });
            }),
        )
        .command(
          'status',
          'Show whether the queue, or which tags of it, is paused',
          (command) => command,
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const status = await client.getQueueStatus({ signal: session.io.signal });
              session.output.info(describeQueueStatus(status), { ...status });
            }),
        )
        .demandCommand(1, 'Give a queue command: pause, resume or status'),
    handler: () => undefined,
  };
}
