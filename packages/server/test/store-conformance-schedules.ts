import { describe, expect, it } from 'vitest';
import type { ScheduleRecord, Store, TaskRecord } from '../src/store/store.js';
import {
  T0,
  at,
  expectKolejkaError,
  hashOf,
  makeResult,
  makeTask,
  newKey,
  putBlobs,
  useStore,
  type StoreEngine,
} from './store-fixtures.js';

function makeSchedule(
  overrides: Partial<ScheduleRecord> & { files?: Record<string, string> } = {},
): ScheduleRecord {
  const { files = {}, ...rest } = overrides;
  const { id: _id, ...spec } = makeTask({ files }).spec;
  return {
    id: newKey(),
    owner: 'alice',
    cron: '* * * * *',
    timezone: 'UTC',
    spec,
    priority: 5,
    overlap: 'allow',
    isPaused: false,
    firedCount: 0,
    skippedCount: 0,
    createdAt: T0,
    updatedAt: T0,
    ...rest,
  };
}

/** The task a firing of `schedule` creates (as the ScheduleRunner builds it). */
function firingTask(schedule: ScheduleRecord, now: Date): TaskRecord {
  const key = newKey();
  return makeTask({
    key,
    owner: schedule.owner,
    spec: { ...schedule.spec, id: key },
    priority: schedule.priority,
    schedule: schedule.id,
    createdAt: now,
    updatedAt: now,
  });
}

const tickAt = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

/** Schedules (issue 12): records, the firing claim, overlap, pause, blob references. */
export function describeScheduleConformance(engine: StoreEngine): void {
  const context = useStore(engine);

  describe('schedules', () => {
    it('creates, reads, lists, updates and deletes schedules', async () => {
      const { store } = context();
      const a = makeSchedule({ name: 'nightly', createdAt: at(1), updatedAt: at(1) });
      const b = makeSchedule({ owner: 'bob', overlap: 'skip', createdAt: at(2), updatedAt: at(2) });
      await store.createSchedule(a);
      await store.createSchedule(b);
      expect(await store.getSchedule(a.id)).toEqual(a);
      expect(await store.getSchedule(newKey())).toBeUndefined();
      await expectKolejkaError(store.createSchedule(a), 'KOLEJKA_CONFLICT');
      expect((await store.listSchedules({})).map((s) => s.id)).toEqual([a.id, b.id]);
      expect((await store.listSchedules({ owner: 'bob' })).map((s) => s.id)).toEqual([b.id]);

      const paused = await store.updateSchedule(a.id, { isPaused: true, priority: 9 }, at(10));
      expect(paused).toMatchObject({ isPaused: true, priority: 9, updatedAt: at(10) });
      expect(await store.getSchedule(a.id)).toEqual(paused);
      expect((await store.listSchedules({ isPaused: false })).map((s) => s.id)).toEqual([b.id]);
      expect(await store.updateSchedule(newKey(), { isPaused: true }, at(10))).toBeUndefined();

      expect(await store.deleteSchedule(a.id)).toBe(true);
      expect(await store.deleteSchedule(a.id)).toBe(false);
      expect(await store.getSchedule(a.id)).toBeUndefined();
    });

    it('refuses a schedule naming an unknown blob or with a bad overlap', async () => {
      const { store } = context();
      await expectKolejkaError(
        store.createSchedule(makeSchedule({ files: { 'in.txt': hashOf('nope') } })),
        'KOLEJKA_NOT_FOUND',
        /in\.txt/,
      );
      await expectKolejkaError(
        store.createSchedule(makeSchedule({ overlap: 'sometimes' as 'skip' })),
        'KOLEJKA_VALIDATION',
        /overlap/,
      );
      expect(await store.listSchedules({})).toEqual([]);
    });

    it('fires a tick once: creates the queued task recording the schedule, with its event', async () => {
      const { store } = context();
      const schedule = makeSchedule();
      await store.createSchedule(schedule);
      const seq = await store.lastEventSeq();
      const task = firingTask(schedule, tickAt(1));
      const fired = await store.fireSchedule(schedule.id, tickAt(1), task, tickAt(1));
      expect(fired.outcome).toBe('fired');
      if (fired.outcome !== 'fired') return;
      expect(fired.task).toMatchObject({ key: task.key, state: 'queued', schedule: schedule.id });
      expect(fired.schedule).toMatchObject({
        lastTickAt: tickAt(1),
        lastFiredAt: tickAt(1),
        lastTaskKey: task.key,
        firedCount: 1,
      });
      expect(await store.getTask(task.key)).toMatchObject({ schedule: schedule.id, priority: 5 });
      expect(await store.getSchedule(schedule.id)).toEqual(fired.schedule);
      const events = await store.readEvents(seq, 10);
      expect(events.map((e) => [e.taskKey, e.state])).toEqual([[task.key, 'queued']]);

      // The same tick again, or an older one: stale, no task.
      const again = firingTask(schedule, tickAt(1));
      expect((await store.fireSchedule(schedule.id, tickAt(1), again, tickAt(1))).outcome).toBe(
        'stale',
      );
      expect((await store.fireSchedule(schedule.id, T0, again, tickAt(1))).outcome).toBe('stale');
      expect(await store.getTask(again.key)).toBeUndefined();
      const unknown = newKey();
      expect(
        (await store.fireSchedule(unknown, tickAt(2), { ...again, schedule: unknown }, tickAt(2)))
          .outcome,
      ).toBe('not_found');
      await expectKolejkaError(
        store.fireSchedule(schedule.id, tickAt(2), { ...again, schedule: undefined }, tickAt(2)),
        'KOLEJKA_VALIDATION',
      );
    });

    it('consumes no tick when the task cannot be created (all or nothing)', async () => {
      const { store } = context();
      const schedule = makeSchedule();
      await store.createSchedule(schedule);
      const first = firingTask(schedule, tickAt(1));
      await store.fireSchedule(schedule.id, tickAt(1), first, tickAt(1));
      const seq = await store.lastEventSeq();
      // A task whose key exists: the insert fails, so the tick must stay unconsumed.
      await expectKolejkaError(
        store.fireSchedule(
          schedule.id,
          tickAt(2),
          { ...first, spec: { ...first.spec } },
          tickAt(2),
        ),
        'KOLEJKA_CONFLICT',
      );
      expect(await store.getSchedule(schedule.id)).toMatchObject({
        lastTickAt: tickAt(1),
        lastTaskKey: first.key,
        firedCount: 1,
      });
      expect(await store.readEvents(seq, 10)).toEqual([]);
      const retry = firingTask(schedule, tickAt(2));
      expect((await store.fireSchedule(schedule.id, tickAt(2), retry, tickAt(2))).outcome).toBe(
        'fired',
      );
    });

    it('lets exactly one of many concurrent claims of a tick fire (two connections)', async () => {
      const { store, openAnother } = context();
      const other = await openAnother();
      const schedule = makeSchedule();
      await store.createSchedule(schedule);
      for (const minute of [1, 2, 3]) {
        const claims = [store, other, store, other, store, other].map((s: Store) =>
          s.fireSchedule(
            schedule.id,
            tickAt(minute),
            firingTask(schedule, tickAt(minute)),
            tickAt(minute),
          ),
        );
        const outcomes = (await Promise.all(claims)).map((o) => o.outcome);
        expect(outcomes.filter((o) => o === 'fired')).toHaveLength(1);
        expect(outcomes.filter((o) => o === 'stale')).toHaveLength(5);
      }
      const tasks = await store.listTasks({ owner: 'alice' }, 100);
      expect(tasks.items).toHaveLength(3);
      expect((await store.getSchedule(schedule.id))?.firedCount).toBe(3);
    });

    it('with overlap skip, consumes a tick without a task while the last task has not ended', async () => {
      const { store } = context();
      const schedule = makeSchedule({ overlap: 'skip' });
      await store.createSchedule(schedule);
      const first = firingTask(schedule, tickAt(1));
      expect((await store.fireSchedule(schedule.id, tickAt(1), first, tickAt(1))).outcome).toBe(
        'fired',
      );
      const second = firingTask(schedule, tickAt(2));
      const skipped = await store.fireSchedule(schedule.id, tickAt(2), second, tickAt(2));
      expect(skipped).toMatchObject({
        outcome: 'skipped',
        schedule: { lastTickAt: tickAt(2), lastTaskKey: first.key, skippedCount: 1, firedCount: 1 },
      });
      expect(await store.getTask(second.key)).toBeUndefined();
      // Running still counts as not ended; finished lets the next tick fire.
      const claimed = await store.claimTask(first.key, {
        assignee: 'f',
        leaseExpiresAt: tickAt(10),
        now: tickAt(2),
      });
      expect(claimed).toBeDefined();
      expect(
        (
          await store.fireSchedule(
            schedule.id,
            tickAt(3),
            firingTask(schedule, tickAt(3)),
            tickAt(3),
          )
        ).outcome,
      ).toBe('skipped');
      await store.finishTask(first.key, 1, makeResult(first.key, 1), tickAt(3));
      const third = firingTask(schedule, tickAt(4));
      expect((await store.fireSchedule(schedule.id, tickAt(4), third, tickAt(4))).outcome).toBe(
        'fired',
      );
      // With `allow` the same situation fires.
      const allow = makeSchedule({ overlap: 'allow' });
      await store.createSchedule(allow);
      await store.fireSchedule(allow.id, tickAt(1), firingTask(allow, tickAt(1)), tickAt(1));
      expect(
        (await store.fireSchedule(allow.id, tickAt(2), firingTask(allow, tickAt(2)), tickAt(2)))
          .outcome,
      ).toBe('fired');
      // A deleted last task has ended too.
      await store.deleteTask(third.key, tickAt(5));
      expect(
        (
          await store.fireSchedule(
            schedule.id,
            tickAt(5),
            firingTask(schedule, tickAt(5)),
            tickAt(5),
          )
        ).outcome,
      ).toBe('fired');
    });

    it('does not fire while paused; resuming skips the ticks missed while paused', async () => {
      const { store } = context();
      const schedule = makeSchedule();
      await store.createSchedule(schedule);
      await store.updateSchedule(schedule.id, { isPaused: true }, tickAt(1));
      const task = firingTask(schedule, tickAt(2));
      expect((await store.fireSchedule(schedule.id, tickAt(2), task, tickAt(2))).outcome).toBe(
        'stale',
      );
      expect(await store.getTask(task.key)).toBeUndefined();
      const resumed = await store.updateSchedule(schedule.id, { isPaused: false }, at(330));
      expect(resumed).toMatchObject({ isPaused: false, lastTickAt: at(330) });
      expect(
        (
          await store.fireSchedule(
            schedule.id,
            tickAt(5),
            firingTask(schedule, tickAt(5)),
            tickAt(5),
          )
        ).outcome,
      ).toBe('stale');
      expect(
        (
          await store.fireSchedule(
            schedule.id,
            tickAt(6),
            firingTask(schedule, tickAt(6)),
            tickAt(6),
          )
        ).outcome,
      ).toBe('fired');
    });

    it('counts the blobs a schedule names as referenced until it is deleted', async () => {
      const { store } = context();
      const [input] = await putBlobs(store, 'schedule input');
      const schedule = makeSchedule({ files: { 'in.txt': input ?? '' } });
      await store.createSchedule(schedule);
      expect(await store.listUnreferencedBlobs(10)).toEqual([]);
      expect(await store.removeBlobIfUnreferenced(input ?? '')).toBe(false);
      expect(await store.getBlob(input ?? '')).toBeDefined();
      await store.deleteSchedule(schedule.id);
      expect((await store.listUnreferencedBlobs(10)).map((b) => b.hash)).toEqual([input]);
      expect(await store.removeBlobIfUnreferenced(input ?? '')).toBe(true);
    });
  });
}
