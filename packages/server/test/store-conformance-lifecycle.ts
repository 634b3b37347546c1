import { describe, expect, it } from 'vitest';
import type { TaskState } from '../src/store/store.js';
import {
  assignedTask,
  at,
  expectKolejkaError,
  hashOf,
  makeResult,
  makeTask,
  newKey,
  putBlobs,
  T0,
  useStore,
  type StoreEngine,
} from './store-fixtures.js';

/** The task lifecycle: claims, leases, fencing, finishing, failing, cancelling, requeueing. */
export function describeLifecycleConformance(engine: StoreEngine): void {
  const context = useStore(engine);

  describe('claim, release, start', () => {
    it('claims a queued task once, with a new attempt and a lease', async () => {
      const { store } = context();
      const task = makeTask();
      await store.createTask(task);
      const claimed = await store.claimTask(task.key, {
        assignee: 'f1',
        leaseExpiresAt: at(60),
        now: at(1),
      });
      expect(claimed).toMatchObject({
        state: 'assigned',
        attempt: 1,
        assignee: 'f1',
        leaseExpiresAt: at(60),
        assignedAt: at(1),
        updatedAt: at(1),
      });
      expect(await store.getTask(task.key)).toEqual(claimed);
      expect(
        await store.claimTask(task.key, { assignee: 'f2', leaseExpiresAt: at(60), now: at(2) }),
      ).toBeUndefined();
      const waiting = makeTask({ state: 'waiting' });
      await store.createTask(waiting);
      expect(
        await store.claimTask(waiting.key, { assignee: 'f2', leaseExpiresAt: at(60), now: at(2) }),
      ).toBeUndefined();
      expect(
        await store.claimTask('f'.repeat(32), {
          assignee: 'f2',
          leaseExpiresAt: at(60),
          now: at(2),
        }),
      ).toBeUndefined();
    });

    it('releases an assignment of the current attempt back to the queue', async () => {
      const { store } = context();
      const task = await assignedTask(store, 'f1');
      expect(await store.releaseTask(task.key, 2, at(2))).toBeUndefined();
      const released = await store.releaseTask(task.key, 1, at(2));
      expect(released).toMatchObject({ state: 'queued', attempt: 1 });
      expect(released).not.toHaveProperty('assignee');
      expect(released).not.toHaveProperty('leaseExpiresAt');
      expect(released).not.toHaveProperty('assignedAt');
      expect(await store.releaseTask(task.key, 1, at(3))).toBeUndefined();
      const again = await store.claimTask(task.key, {
        assignee: 'f2',
        leaseExpiresAt: at(90),
        now: at(4),
      });
      expect(again).toMatchObject({ attempt: 2, assignee: 'f2' });
      await store.startTask(task.key, 2, at(5));
      expect(await store.releaseTask(task.key, 2, at(6))).toBeUndefined();
    });

    it('starts the current attempt; a resent start changes nothing', async () => {
      const { store } = context();
      const task = await assignedTask(store);
      expect(await store.startTask(task.key, 7, at(2))).toBeUndefined();
      const started = await store.startTask(task.key, 1, at(2));
      expect(started).toMatchObject({ state: 'running', startedAt: at(2), attempt: 1 });
      const seq = await store.lastEventSeq();
      expect(await store.startTask(task.key, 1, at(3))).toEqual(started);
      expect(await store.lastEventSeq()).toBe(seq);
      const queued = makeTask();
      await store.createTask(queued);
      expect(await store.startTask(queued.key, 0, at(2))).toBeUndefined();
    });
  });

  describe('leases', () => {
    it('renews only the assignee’s current attempts', async () => {
      const { store } = context();
      const mine = await assignedTask(store, 'f1');
      const running = await assignedTask(store, 'f1');
      await store.startTask(running.key, 1, at(2));
      const theirs = await assignedTask(store, 'f2');
      const queued = makeTask();
      await store.createTask(queued);
      const renewed = await store.renewLeases(
        'f1',
        [
          { key: mine.key, attempt: 1 },
          { key: running.key, attempt: 1 },
          { key: theirs.key, attempt: 1 },
          { key: queued.key, attempt: 0 },
          { key: mine.key, attempt: 2 },
          { key: 'f'.repeat(32), attempt: 1 },
        ],
        at(500),
      );
      expect(renewed.sort()).toEqual([mine.key, running.key].sort());
      expect((await store.getTask(mine.key))?.leaseExpiresAt).toEqual(at(500));
      expect((await store.getTask(running.key))?.leaseExpiresAt).toEqual(at(500));
      expect((await store.getTask(theirs.key))?.leaseExpiresAt).toEqual(at(60));
      expect(await store.renewLeases('f1', [], at(600))).toEqual([]);
    });

    it('requeues expired leases, then fails the task after maxAttempts losses', async () => {
      const { store } = context();
      const task = await assignedTask(store, 'f1', { maxAttempts: 2 });
      const fresh = await assignedTask(store, 'f1');
      await store.renewLeases('f1', [{ key: fresh.key, attempt: 1 }], at(1000));
      const reasons: string[] = [];
      const reasonFor = (t: { key: string; lostCount: number }): string => {
        reasons.push(t.key);
        return `lease lost ${t.lostCount + 1} times`;
      };

      expect(await store.expireLeases(at(60), reasonFor)).toEqual([]);
      const first = await store.expireLeases(at(61), reasonFor);
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({
        outcome: 'requeued',
        previousAssignee: 'f1',
        task: { key: task.key, state: 'queued', lostCount: 1, attempt: 1 },
      });
      expect(first[0]?.task).not.toHaveProperty('assignee');
      expect(first[0]?.task).not.toHaveProperty('leaseExpiresAt');
      expect(await store.getTask(task.key)).toEqual(first[0]?.task);
      expect(await store.expireLeases(at(62), reasonFor)).toEqual([]);

      // A result of the lost attempt is refused.
      const stale = await store.finishTask(task.key, 1, makeResult(task.key, 1), at(63));
      expect(stale.outcome).toBe('stale');

      await store.claimTask(task.key, { assignee: 'f2', leaseExpiresAt: at(100), now: at(64) });
      await store.startTask(task.key, 2, at(65));
      const second = await store.expireLeases(at(101), reasonFor);
      expect(second).toEqual([
        {
          outcome: 'failed',
          previousAssignee: 'f2',
          task: expect.objectContaining({
            key: task.key,
            state: 'failed',
            lostCount: 2,
            attempt: 2,
            reason: 'lease lost 2 times',
            finishedAt: at(101),
          }),
        },
      ]);
      expect(reasons).toEqual([task.key]);
      expect((await store.getTask(fresh.key))?.state).toBe('assigned');
    });

    it('expires each lease once when two instances race', async () => {
      const { store, openAnother } = context();
      const other = await openAnother();
      const keys: string[] = [];
      for (let i = 0; i < 6; i++) keys.push((await assignedTask(store, 'f1')).key);
      const [a, b] = await Promise.all([
        store.expireLeases(at(61), () => 'lost'),
        other.expireLeases(at(61), () => 'lost'),
      ]);
      expect([...a, ...b].map((e) => e.task.key).sort()).toEqual(keys.sort());
      const events = await store.readEvents(0, 1000);
      expect(events.filter((e) => e.state === 'queued' && e.attempt === 1)).toHaveLength(6);
    });
  });

  describe('finish (fencing)', () => {
    it('stores the result of the current attempt and finishes the task', async () => {
      const { store } = context();
      const [out] = await putBlobs(store, 'out');
      const task = await assignedTask(store);
      await store.startTask(task.key, 1, at(2));
      const result = makeResult(task.key, 1, { files: { 'out.txt': out! } });
      const outcome = await store.finishTask(task.key, 1, result, at(3));
      expect(outcome).toEqual({
        outcome: 'stored',
        task: expect.objectContaining({
          state: 'finished',
          finishedAt: at(3),
          attempt: 1,
          assignee: 'foreman-1',
        }),
        result,
      });
      expect(outcome.outcome === 'stored' && outcome.task).not.toHaveProperty('leaseExpiresAt');
      expect(await store.getResult(task.key)).toEqual(result);
      expect(await store.getTask(task.key)).toEqual(outcome.outcome === 'stored' && outcome.task);
    });

    it('answers an identical resend with duplicate, another result with conflict, an old attempt with stale', async () => {
      const { store } = context();
      const task = await assignedTask(store);
      const result = makeResult(task.key, 1);
      await store.finishTask(task.key, 1, result, at(3));
      const seq = await store.lastEventSeq();

      // Same content with keys in another order is the same result.
      const reordered = {
        ...result,
        spec: Object.fromEntries(Object.entries(result.spec).reverse()) as typeof result.spec,
      };
      expect(await store.finishTask(task.key, 1, reordered, at(4))).toEqual({
        outcome: 'duplicate',
        task: expect.objectContaining({ state: 'finished' }),
        result,
      });
      expect(
        await store.finishTask(task.key, 1, makeResult(task.key, 1, { exit: 1 }), at(4)),
      ).toEqual({
        outcome: 'conflict',
        task: expect.objectContaining({ state: 'finished' }),
        result,
      });
      expect(await store.finishTask(task.key, 0, makeResult(task.key, 0), at(4))).toEqual({
        outcome: 'stale',
        task: expect.objectContaining({ state: 'finished' }),
      });
      expect(await store.getResult(task.key)).toEqual(result);
      expect(await store.lastEventSeq()).toBe(seq);
    });

    it('refuses results for queued tasks, wrong attempts, unknown tasks and unknown blobs', async () => {
      const { store } = context();
      const queued = makeTask();
      await store.createTask(queued);
      expect(
        (await store.finishTask(queued.key, 0, makeResult(queued.key, 0), at(1))).outcome,
      ).toBe('stale');
      const task = await assignedTask(store);
      expect((await store.finishTask(task.key, 2, makeResult(task.key, 2), at(1))).outcome).toBe(
        'stale',
      );
      expect(
        await store.finishTask('f'.repeat(32), 1, makeResult('f'.repeat(32), 1), at(1)),
      ).toEqual({
        outcome: 'not_found',
      });
      await expectKolejkaError(
        store.finishTask(task.key, 1, makeResult(queued.key, 1), at(1)),
        'KOLEJKA_VALIDATION',
      );
      await expectKolejkaError(
        store.finishTask(
          task.key,
          1,
          makeResult(task.key, 1, { files: { 'log.txt': hashOf('nope') } }),
          at(1),
        ),
        'KOLEJKA_NOT_FOUND',
        /log\.txt/,
      );
      expect(await store.getResult(task.key)).toBeUndefined();
      expect((await store.getTask(task.key))?.state).toBe('assigned');
    });
  });

  describe('fail, cancel, requeue, deleteResult', () => {
    it('fails a task that is not finished, checking the attempt when given', async () => {
      const { store } = context();
      const task = await assignedTask(store);
      expect(await store.failTask(task.key, 'bad image', at(2), 2)).toBeUndefined();
      const failed = await store.failTask(task.key, 'bad image', at(2), 1);
      expect(failed).toMatchObject({ state: 'failed', reason: 'bad image', finishedAt: at(2) });
      expect(failed).not.toHaveProperty('leaseExpiresAt');
      expect(await store.failTask(task.key, 'again', at(3))).toBeUndefined();
      const queued = makeTask();
      await store.createTask(queued);
      expect(await store.failTask(queued.key, 'no foreman fits', at(2))).toMatchObject({
        state: 'failed',
      });
    });

    for (const from of [
      'waiting',
      'queued',
      'assigned',
      'running',
    ] as const satisfies readonly TaskState[])
      it(`cancels a ${from} task and returns it as it was`, async () => {
        const { store } = context();
        const task = makeTask({ state: from === 'waiting' ? 'waiting' : 'queued' });
        await store.createTask(task);
        if (from === 'assigned' || from === 'running')
          await store.claimTask(task.key, { assignee: 'f1', leaseExpiresAt: at(60), now: at(1) });
        if (from === 'running') await store.startTask(task.key, 1, at(2));
        const before = await store.getTask(task.key);
        expect(await store.cancelTask(task.key, 'user asked', at(5))).toEqual(before);
        expect(await store.getTask(task.key)).toMatchObject({
          state: 'cancelled',
          reason: 'user asked',
          finishedAt: at(5),
          attempt: before?.attempt,
        });
        const events = await store.readEvents(0, 100);
        expect(events.at(-1)).toMatchObject({ state: 'cancelled', taskKey: task.key });
      });

    it('does not cancel finished, failed or cancelled tasks', async () => {
      const { store } = context();
      const finished = await assignedTask(store);
      await store.finishTask(finished.key, 1, makeResult(finished.key, 1), at(2));
      const failed = makeTask();
      await store.createTask(failed);
      await store.failTask(failed.key, 'x', at(2));
      const cancelled = makeTask();
      await store.createTask(cancelled);
      await store.cancelTask(cancelled.key, 'x', at(2));
      for (const key of [finished.key, failed.key, cancelled.key, 'f'.repeat(32)])
        expect(await store.cancelTask(key, 'late', at(3))).toBeUndefined();
      expect((await store.getTask(finished.key))?.state).toBe('finished');
    });

    it('requeues any state but queued, clearing the run and the result', async () => {
      const { store } = context();
      const task = await assignedTask(store, 'f1', { maxAttempts: 2 });
      await store.expireLeases(at(61), () => 'lost');
      await store.claimTask(task.key, { assignee: 'f1', leaseExpiresAt: at(200), now: at(70) });
      await store.finishTask(task.key, 2, makeResult(task.key, 2), at(80));
      expect(await store.getTask(task.key)).toMatchObject({ state: 'finished', lostCount: 1 });

      const requeued = await store.requeueTask(task.key, at(90));
      expect(requeued).toMatchObject({
        state: 'queued',
        attempt: 2,
        lostCount: 0,
        updatedAt: at(90),
      });
      for (const field of [
        'assignee',
        'leaseExpiresAt',
        'reason',
        'assignedAt',
        'startedAt',
        'finishedAt',
      ])
        expect(requeued).not.toHaveProperty(field);
      expect(await store.getResult(task.key)).toBeUndefined();
      expect(await store.requeueTask(task.key, at(91))).toBeUndefined();

      const reclaimed = await store.claimTask(task.key, {
        assignee: 'f2',
        leaseExpiresAt: at(300),
        now: at(92),
      });
      expect(reclaimed?.attempt).toBe(3);
      await store.cancelTask(task.key, 'stop', at(93));
      expect(await store.requeueTask(task.key, at(94))).toMatchObject({ state: 'queued' });
      const waiting = makeTask({ state: 'waiting' });
      await store.createTask(waiting);
      expect(await store.requeueTask(waiting.key, at(95))).toMatchObject({ state: 'queued' });
      expect(await store.requeueTask('f'.repeat(32), at(95))).toBeUndefined();
    });

    it('requeues only from the given states (the API requeues ended tasks only)', async () => {
      const { store } = context();
      const ended = ['finished', 'failed', 'cancelled'] as const;
      const running = await assignedTask(store, 'f1');
      await store.startTask(running.key, 1, at(2));
      expect(await store.requeueTask(running.key, at(3), ended)).toBeUndefined();
      expect(await store.getTask(running.key)).toMatchObject({ state: 'running', assignee: 'f1' });
      const waiting = makeTask({ state: 'waiting' });
      await store.createTask(waiting);
      expect(await store.requeueTask(waiting.key, at(3), ended)).toBeUndefined();
      expect((await store.getTask(waiting.key))?.state).toBe('waiting');

      await store.finishTask(running.key, 1, makeResult(running.key, 1), at(4));
      const seq = await store.lastEventSeq();
      const requeued = await store.requeueTask(running.key, at(5), ended);
      expect(requeued).toMatchObject({ state: 'queued', attempt: 1, lostCount: 0 });
      expect(requeued).not.toHaveProperty('finishedAt');
      expect(await store.getResult(running.key)).toBeUndefined();
      expect(await store.readEvents(seq, 10)).toEqual([
        expect.objectContaining({ taskKey: running.key, state: 'queued', attempt: 1, at: at(5) }),
      ]);
      // A second requeue of the same end finds it queued: nothing changes.
      expect(await store.requeueTask(running.key, at(6), ended)).toBeUndefined();
      expect(await store.requeueTask(running.key, at(6), [])).toBeUndefined();
      expect(await store.lastEventSeq()).toBe(seq + 1);

      const failed = makeTask();
      await store.createTask(failed);
      await store.failTask(failed.key, 'broken', at(7));
      expect(await store.requeueTask(failed.key, at(8), ended)).toMatchObject({ state: 'queued' });
      expect((await store.getTask(failed.key))?.reason).toBeUndefined();
      await expect(
        store.requeueTask(failed.key, at(9), ['nope' as 'queued']),
      ).rejects.toMatchObject({
        code: 'KOLEJKA_VALIDATION',
      });
    });

    it('deleteResult sends a finished task back to the queue for a new result', async () => {
      const { store } = context();
      const task = await assignedTask(store);
      await store.finishTask(task.key, 1, makeResult(task.key, 1), at(2));
      expect(await store.deleteResult(task.key, at(3))).toBe(true);
      expect(await store.deleteResult(task.key, at(3))).toBe(false);
      expect(await store.getResult(task.key)).toBeUndefined();
      const queued = await store.getTask(task.key);
      expect(queued).toMatchObject({ state: 'queued', attempt: 1, lostCount: 0 });
      expect(queued).not.toHaveProperty('assignee');
      expect(queued).not.toHaveProperty('finishedAt');

      await store.claimTask(task.key, { assignee: 'f1', leaseExpiresAt: at(60), now: at(4) });
      const again = await store.finishTask(
        task.key,
        2,
        makeResult(task.key, 2, { exit: 3 }),
        at(5),
      );
      expect(again.outcome).toBe('stored');
      expect((await store.getResult(task.key))?.spec.result).toBe(3);
      expect(await store.deleteResult('f'.repeat(32), at(6))).toBe(false);
    });
  });

  describe('concurrent claims', () => {
    it('never assigns a task twice to 20 racing claimers', async () => {
      const { store, openAnother } = context();
      const instances = [store, await openAnother(), await openAnother(), await openAnother()];
      const keys: string[] = [];
      for (let i = 0; i < 30; i++) {
        const task = makeTask();
        await store.createTask(task);
        keys.push(task.key);
      }
      const won = await Promise.all(
        Array.from({ length: 20 }, async (_, claimer) => {
          const mine: string[] = [];
          const instance = instances[claimer % instances.length]!;
          for (const key of keys) {
            const claimed = await instance.claimTask(key, {
              assignee: `claimer-${claimer}`,
              leaseExpiresAt: at(60),
              now: at(1),
            });
            if (claimed !== undefined) mine.push(key);
          }
          return mine;
        }),
      );
      const all = won.flat();
      expect(all.sort()).toEqual([...keys].sort());
      for (const [claimer, mine] of won.entries())
        for (const key of mine)
          expect(await store.getTask(key)).toMatchObject({
            attempt: 1,
            assignee: `claimer-${claimer}`,
          });
    });
  });

  describe('notes on queued tasks', () => {
    it('sets and clears the reason of queued tasks only, without an event; a claim clears it', async () => {
      const { store } = context();
      const queued = makeTask();
      const other = makeTask();
      await store.createTask(queued);
      await store.createTask(other);
      const assigned = await assignedTask(store, 'f1');
      const seq = await store.lastEventSeq();
      const reason = 'no connected foreman can run it';
      expect(
        await store.setQueuedReason([queued.key, other.key, assigned.key, newKey()], reason),
      ).toBe(2);
      expect(await store.setQueuedReason([queued.key], reason)).toBe(0);
      expect(await store.getTask(queued.key)).toMatchObject({ reason, updatedAt: T0 });
      expect((await store.getTask(assigned.key))?.reason).toBeUndefined();
      expect(await store.setQueuedReason([other.key], undefined)).toBe(1);
      expect((await store.getTask(other.key))?.reason).toBeUndefined();
      expect(await store.setQueuedReason([], reason)).toBe(0);
      expect(await store.lastEventSeq()).toBe(seq);
      const claimed = await store.claimTask(queued.key, {
        assignee: 'f2',
        leaseExpiresAt: at(60),
        now: at(2),
      });
      expect(claimed?.reason).toBeUndefined();
      expect((await store.getTask(queued.key))?.reason).toBeUndefined();
    });
  });
}
