import type { Argv } from 'yargs';
import { limitsFromFlags, withLimitFlags } from '@kolejka/cli-kit/limit-flags';
import type { RemoteSchedule } from '../../schedules/schedule-operations.js';
import type { Runner } from '../runner.js';
import type { GlobalArgs } from '../session.js';

const idArg = {
  type: 'string',
  demandOption: true,
  describe: 'Schedule id (32 hex digits, as `schedule add` and `schedule list` print it)',
} as const;

/** One line per schedule for people. */
function describeSchedule(schedule: RemoteSchedule): string[] {
  return [
    schedule.id,
    schedule.paused ? 'paused' : 'active',
    schedule.cron,
    schedule.timezone,
    schedule.nextFiringAt ?? '-',
    schedule.lastTask === undefined
      ? '-'
      : `${schedule.lastTask.key} ${schedule.lastTask.state ?? 'deleted'}`,
    schedule.name ?? '',
  ];
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, index) => cell.padEnd(widths[index] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const HEADER = ['ID', 'STATE', 'CRON', 'TIMEZONE', 'NEXT', 'LAST TASK', 'NAME'];

export function scheduleCommands(run: Runner) {
  /** `pause`, `resume`: one PATCH each, printing the schedule's new state. */
  const toggle = (name: 'pause' | 'resume', describe: string) =>
    [
      `${name} <id>`,
      describe,
      (command: Argv<GlobalArgs>) => command.positional('id', idArg),
      (argv: GlobalArgs & { id: string }) =>
        run(argv, async (session) => {
          const client = await session.client();
          const options = { signal: session.io.signal };
          const schedule =
            name === 'pause'
              ? await client.pauseSchedule(argv.id, options)
              : await client.resumeSchedule(argv.id, options);
          session.output.info(`${schedule.id} ${schedule.paused ? 'paused' : 'active'}`, {
            id: schedule.id,
            paused: schedule.paused,
            schedule,
          });
        }),
    ] as const;

  return {
    command: 'schedule <command>',
    describe:
      'Cron schedules that submit a task at every tick: add, list, show, pause, resume, remove',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .command(
          'add <task-dir>',
          'Upload a task dir (files the server holds are not sent again) and create a schedule that submits it at every tick of --cron; prints the schedule id',
          (command) =>
            withLimitFlags(
              command
                .positional('task-dir', {
                  type: 'string',
                  demandOption: true,
                  describe: 'Task directory',
                })
                .option('cron', {
                  type: 'string',
                  demandOption: true,
                  describe:
                    "When: 5 fields 'minute hour day-of-month month day-of-week' ('*/15 * * * *', '0 3 * * 1-5') or @hourly, @daily, @weekly, @monthly, @yearly",
                })
                .option('timezone', {
                  type: 'string',
                  describe: 'IANA time zone --cron is read in, e.g. Europe/Warsaw [default: UTC]',
                })
                .option('priority', {
                  type: 'number',
                  describe: 'Queue priority of every task it submits, -1000..1000 [default: 0]',
                })
                .option('overlap', {
                  type: 'string',
                  choices: ['skip', 'allow'] as const,
                  describe:
                    'skip: a tick submits nothing while the previous task has not ended; allow: every tick submits [default: skip]',
                })
                .option('name', { type: 'string', describe: 'A label shown in listings' })
                .option('paused', {
                  type: 'boolean',
                  describe: 'Create it paused (schedule resume starts it)',
                }),
            ),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client({ limits: limitsFromFlags(argv) });
              const { schedule, uploadedCount } = await client.addSchedule(argv['task-dir'], {
                ...session.transfer(),
                cron: argv.cron,
                ...(argv.timezone === undefined ? {} : { timezone: argv.timezone }),
                ...(argv.priority === undefined ? {} : { priority: argv.priority }),
                ...(argv.overlap === undefined ? {} : { overlap: argv.overlap }),
                ...(argv.name === undefined ? {} : { name: argv.name }),
                ...(argv.paused === undefined ? {} : { paused: argv.paused }),
              });
              session.progress.stop();
              session.output.value(schedule.id, {
                id: schedule.id,
                nextFiringAt: schedule.nextFiringAt,
                uploadedFiles: uploadedCount,
                schedule,
              });
            }),
        )
        .command(
          'list',
          'List your schedules (inspectors, managers, admins: everyone’s), oldest first',
          (command) =>
            command.option('owner', {
              type: 'string',
              describe: "Only this user's schedules (inspectors, managers, admins)",
            }),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const items = await client.listSchedules(
                argv.owner === undefined ? {} : { owner: argv.owner },
                { signal: session.io.signal },
              );
              if (session.output.isJson) {
                session.output.json({ items });
                return;
              }
              session.output.value(table([HEADER, ...items.map(describeSchedule)]), undefined);
            }),
        )
        .command(
          'show <id>',
          'Show a schedule: its expression, next firing time, last task and its task spec',
          (command) => command.positional('id', idArg),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const schedule = await client.getSchedule(argv.id, { signal: session.io.signal });
              session.output.value(JSON.stringify(schedule, null, 2), schedule);
            }),
        )
        .command(...toggle('pause', 'Pause a schedule: no tick fires until it is resumed'))
        .command(
          ...toggle(
            'resume',
            'Resume a paused schedule (the ticks that passed while it was paused do not fire)',
          ),
        )
        .command(
          'remove <id>',
          'Remove a schedule (the tasks it submitted stay)',
          (command) => command.positional('id', idArg),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              await client.removeSchedule(argv.id, { signal: session.io.signal });
              session.output.info(`${argv.id} removed`, { id: argv.id, removed: true });
            }),
        )
        .demandCommand(1, 'Give a schedule command: add, list, show, pause, resume or remove'),
    handler: () => undefined,
  };
}
