import {
  KolejkaError,
  type ScheduleOverlapPolicy,
  type ScheduleView,
  type TaskSpec,
} from '@kolejka/spec';
import type { ClientContext } from '../client-context.js';
import { uploadTask, type PutTaskOptions } from '../tasks/task-operations.js';

/** A cron schedule as API v1 shows it (`GET /api/v1/schedules/{id}`); the shape is spec's. */
export type RemoteSchedule = ScheduleView;

export interface AddScheduleOptions extends Omit<PutTaskOptions, 'priority'> {
  /** 5-field cron expression (`*\/5 * * * *`) or `@hourly`, `@daily`, `@weekly` … */
  cron: string;
  /** IANA time zone the expression is read in. Default (the server's): `UTC`. */
  timezone?: string;
  /** Priority of every task it submits, -1000..1000. Default 0. */
  priority?: number;
  /** `skip` (the server's default): no task while the previous one has not ended; `allow`. */
  overlap?: ScheduleOverlapPolicy;
  /** A label for people. */
  name?: string;
  /** Create it paused. */
  paused?: boolean;
}

export interface AddScheduleResult {
  schedule: RemoteSchedule;
  /** How many files were actually sent (the rest were already held). */
  uploadedCount: number;
}

const SCHEDULE_ID = /^[0-9a-f]{32}$/;

function checkScheduleId(id: string): string {
  if (!SCHEDULE_ID.test(id))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `${JSON.stringify(id)} is not a schedule id (32 lowercase hex digits)`,
    );
  return id;
}

/** Checks the parts of a schedule reply the client relies on (the id goes into paths). */
function checkRemoteSchedule(value: unknown): RemoteSchedule {
  const record = value as Record<string, unknown> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.id !== 'string' ||
    !SCHEDULE_ID.test(record.id)
  )
    throw new KolejkaError('KOLEJKA_INTERNAL', 'Unexpected schedule from the server: no id');
  return record as unknown as RemoteSchedule;
}

/**
 * Creates a schedule: uploads the task's files as `putTask` does (so every firing finds
 * them on the server), then posts the schedule with the task naming them by hash.
 */
export async function addSchedule(
  ctx: ClientContext,
  source: string | TaskSpec,
  options: AddScheduleOptions,
): Promise<AddScheduleResult> {
  const { spec, uploadedCount } = await uploadTask(ctx, source, options);
  const schedule = checkRemoteSchedule(
    await ctx.transport.json({
      method: 'POST',
      path: '/api/v1/schedules',
      json: {
        cron: options.cron,
        task: spec,
        ...(options.timezone === undefined ? {} : { timezone: options.timezone }),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...(options.overlap === undefined ? {} : { overlap: options.overlap }),
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.paused === undefined ? {} : { paused: options.paused }),
      },
      // Each POST makes a new schedule: never resent once it may have arrived.
      isIdempotent: false,
      signal: options.signal,
    }),
  );
  ctx.logger.info('schedule created', { schedule: schedule.id, cron: schedule.cron });
  return { schedule, uploadedCount };
}

export async function listSchedules(
  ctx: ClientContext,
  filter: { owner?: string } = {},
  signal?: AbortSignal,
): Promise<RemoteSchedule[]> {
  const query = filter.owner === undefined ? '' : `?owner=${encodeURIComponent(filter.owner)}`;
  const reply = await ctx.transport.json<{ items?: unknown }>({
    method: 'GET',
    path: `/api/v1/schedules${query}`,
    isIdempotent: true,
    signal,
  });
  if (!Array.isArray(reply.items))
    throw new KolejkaError('KOLEJKA_INTERNAL', 'Unexpected schedule list from the server');
  return reply.items.map(checkRemoteSchedule);
}

export async function getSchedule(
  ctx: ClientContext,
  id: string,
  signal?: AbortSignal,
): Promise<RemoteSchedule> {
  return checkRemoteSchedule(
    await ctx.transport.json({
      method: 'GET',
      path: `/api/v1/schedules/${checkScheduleId(id)}`,
      isIdempotent: true,
      signal,
    }),
  );
}

/** Pauses or resumes a schedule, or changes the priority of its tasks. */
export async function updateSchedule(
  ctx: ClientContext,
  id: string,
  changes: { paused?: boolean; priority?: number },
  signal?: AbortSignal,
): Promise<RemoteSchedule> {
  return checkRemoteSchedule(
    await ctx.transport.json({
      method: 'PATCH',
      path: `/api/v1/schedules/${checkScheduleId(id)}`,
      json: changes,
      // Setting the same values again changes nothing.
      isIdempotent: true,
      signal,
    }),
  );
}

export async function removeSchedule(
  ctx: ClientContext,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await ctx.transport.send({
    method: 'DELETE',
    path: `/api/v1/schedules/${checkScheduleId(id)}`,
    // A repeat after a lost reply would answer 404 for a removal that happened.
    isIdempotent: false,
    signal,
  });
}
