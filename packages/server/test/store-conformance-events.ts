import { describe, expect, it } from 'vitest';
import { TASK_HISTORY_LIMIT } from '../src/store/store.js';
import {
  assignedTask,
  at,
  makeResult,
  makeTask,
  newKey,
  T0,
  useStore,
  type StoreEngine,
} from './store-fixtures.js';

/** The event log and waiting for changes. */
export function describeEventConformance(engine: StoreEngine): void {
  const context = useStore(engine);

  describe('events', () => {
    it('logs every state change, in order, with strictly increasing seq', async () => {
      const { store } = context();
      expect(await store.lastEventSeq()).toBe(0);
      expect(await store.readEvents(0, 10)).toEqual([]);
      const task = makeTask({ owner: 'alice' });
      await store.createTask(task);
      await store.claimTask(task.key, { assignee: 'f1', leaseExpiresAt: at(60), now: at(1) });
      await store.releaseTask(task.key, 1, at(2));
      await store.claimTask(task.key, { assignee: 'f2', leaseExpiresAt: at(60), now: at(3) });
      await store.startTask(task.key, 2, at(4));
      await store.renewLeases('f2', [{ key: task.key, attempt: 2 }], at(90)); // no event
      await store.finishTask(task.key, 2, makeResult(task.key, 2), at(5));
      await store.deleteResult(task.key, at(6));
      await store.claimTask(task.key, { assignee: 'f3', leaseExpiresAt: at(60), now: at(7) });
      await store.expireLeases(at(61), () => 'lost');
      await store.failTask(task.key, 'gave up', at(62));
      await store.requeueTask(task.key, at(63));
      await store.cancelTask(task.key, 'enough', at(64));
      await store.deleteTask(task.key, at(65));

      const events = await store.readEvents(0, 100);
      expect(events.map((e) => [e.state, e.attempt, e.assignee ?? null])).toEqual([
        ['queued', 0, null],
        ['assigned', 1, 'f1'],
        ['queued', 1, null],
        ['assigned', 2, 'f2'],
        ['running', 2, 'f2'],
        ['finished', 2, 'f2'],
        ['queued', 2, null],
        ['assigned', 3, 'f3'],
        ['queued', 3, null],
        ['failed', 3, null],
        ['queued', 3, null],
        ['cancelled', 3, null],
        ['cancelled', 3, null],
      ]);
      expect(events.map((e) => e.at.getTime()).slice(0, 12)).toEqual(
        [0, 1, 2, 3, 4, 5, 6, 7, 61, 62, 63, 64].map((s) => at(s).getTime()),
      );
      expect(events.every((e) => e.taskKey === task.key && e.owner === 'alice')).toBe(true);
      expect(events.at(-1)?.isDeleted).toBe(true);
      expect(events.at(-1)?.at).toEqual(at(65));
      // Events carry the reason of failed and cancelled tasks (readable after a deletion).
      expect(events.map((e) => e.reason ?? null)).toEqual([
        ...Array<null>(9).fill(null),
        'gave up',
        null,
        'enough',
        'enough',
      ]);
      for (let i = 1; i < events.length; i++)
        expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
      expect(await store.lastEventSeq()).toBe(events.at(-1)?.seq);

      const page = await store.readEvents(events[3]!.seq, 2);
      expect(page).toEqual(events.slice(4, 6));
    });

    it('refusals write no events', async () => {
      const { store } = context();
      const task = await assignedTask(store);
      const seq = await store.lastEventSeq();
      await store.claimTask(task.key, { assignee: 'x', leaseExpiresAt: at(60), now: at(2) });
      await store.releaseTask(task.key, 9, at(2));
      await store.startTask(task.key, 9, at(2));
      await store.failTask(task.key, 'x', at(2), 9);
      await store.finishTask(task.key, 9, makeResult(task.key, 9), at(2));
      await store.requeueTask(makeTask().key, at(2));
      await store.deleteResult(task.key, at(2));
      expect(await store.lastEventSeq()).toBe(seq);
    });

    it("taskHistory: one task's events, oldest first, its deletion included", async () => {
      const { store } = context();
      const task = makeTask({ owner: 'alice' });
      const other = makeTask({ owner: 'bob' });
      await store.createTask(task);
      await store.createTask(other);
      await store.claimTask(task.key, { assignee: 'f1', leaseExpiresAt: at(60), now: at(1) });
      await store.claimTask(other.key, { assignee: 'f9', leaseExpiresAt: at(60), now: at(1) });
      await store.expireLeases(at(61), () => 'lost');
      await store.claimTask(task.key, { assignee: 'f2', leaseExpiresAt: at(200), now: at(62) });
      await store.startTask(task.key, 2, at(63));
      await store.failTask(task.key, 'crashed', at(64), 2);

      const history = await store.taskHistory(task.key);
      expect(
        history.map((e) => [e.state, e.attempt, e.assignee ?? null, e.reason ?? null]),
      ).toEqual([
        ['queued', 0, null, null],
        ['assigned', 1, 'f1', null],
        ['queued', 1, null, null],
        ['assigned', 2, 'f2', null],
        ['running', 2, 'f2', null],
        ['failed', 2, 'f2', 'crashed'],
      ]);
      expect(history.map((e) => e.at)).toEqual([T0, at(1), at(61), at(62), at(63), at(64)]);
      expect(history.every((e) => e.taskKey === task.key && e.owner === 'alice')).toBe(true);
      // The same events the log has, seq included.
      const log = await store.readEvents(0, 100);
      expect(history).toEqual(log.filter((e) => e.taskKey === task.key));

      await store.deleteTask(task.key, at(70));
      const afterDeletion = await store.taskHistory(task.key);
      expect(afterDeletion).toHaveLength(7);
      expect(afterDeletion.at(-1)?.isDeleted).toBe(true);
      expect((await store.taskHistory(other.key)).map((e) => e.state)).toEqual([
        'queued',
        'assigned',
        'queued',
      ]);
      expect(await store.taskHistory(newKey())).toEqual([]);
      // Pruned events are gone from the history too.
      await store.deleteEventsBefore(at(62));
      expect((await store.taskHistory(task.key)).map((e) => e.state)).toEqual([
        'assigned',
        'running',
        'failed',
        'failed', // the deletion: the state the task had
      ]);
    });

    it(`taskHistory: at most ${TASK_HISTORY_LIMIT} events, the newest`, async () => {
      const { store } = context();
      const task = makeTask();
      await store.createTask(task);
      // Every priority change logs an event (of the unchanged state).
      for (let i = 1; i <= TASK_HISTORY_LIMIT; i++)
        await store.setTaskPriority(task.key, i % 100, at(i));
      const history = await store.taskHistory(task.key);
      expect(history).toHaveLength(TASK_HISTORY_LIMIT);
      // The creation's event (at T0) is the one left out.
      expect(history[0]?.at).toEqual(at(1));
      expect(history.at(-1)?.at).toEqual(at(TASK_HISTORY_LIMIT));
      for (let i = 1; i < history.length; i++)
        expect(history[i]!.seq).toBeGreaterThan(history[i - 1]!.seq);
    });

    it('prunes old events without lowering the last seq', async () => {
      const { store } = context();
      await store.createTask(makeTask({ createdAt: at(0), updatedAt: at(0) }));
      await store.createTask(makeTask({ createdAt: at(10), updatedAt: at(10) }));
      const last = await store.lastEventSeq();
      expect(await store.deleteEventsBefore(at(5))).toBe(1);
      expect((await store.readEvents(0, 10)).map((e) => e.seq)).toEqual([last]);
      expect(await store.deleteEventsBefore(at(20))).toBe(1);
      expect(await store.lastEventSeq()).toBe(last);
      await store.createTask(makeTask());
      expect((await store.readEvents(0, 10))[0]?.seq).toBeGreaterThan(last);
    });
  });

  describe('waitForChange', () => {
    it('resolves after the timeout when nothing happens', async () => {
      const { store } = context();
      const started = Date.now();
      await store.waitForChange(120);
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    });

    it('resolves at once for events after afterSeq, and on abort', async () => {
      const { store } = context();
      await store.createTask(makeTask());
      const started = Date.now();
      await store.waitForChange(5000, undefined, 0);
      const controller = new AbortController();
      const aborted = store.waitForChange(5000, controller.signal, await store.lastEventSeq());
      controller.abort();
      await aborted;
      const preAborted = AbortSignal.abort();
      await store.waitForChange(5000, preAborted);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('wakes for a write by this instance and by another one', async () => {
      const { store, openAnother } = context();
      const other = await openAnother();
      for (const writer of [store, other]) {
        const seq = await store.lastEventSeq();
        const waiting = store.waitForChange(5000, undefined, seq);
        await new Promise((resolve) => setTimeout(resolve, 30));
        const wroteAt = Date.now();
        await writer.createTask(makeTask());
        await waiting;
        expect(Date.now() - wroteAt).toBeLessThan(1000);
        expect((await store.readEvents(seq, 10)).length).toBe(1);
      }
    });

    it('with afterSeq, ignores writes that add no event', async () => {
      const { store, openAnother } = context();
      const other = await openAnother();
      await store.createTask(makeTask());
      const seq = await store.lastEventSeq();
      const started = Date.now();
      const waiting = store.waitForChange(300, undefined, seq);
      await other.upsertForeman({
        id: 'f',
        username: 'p',
        tags: [],
        capacity: {},
        isOnline: true,
        isDraining: false,
        updatedAt: at(0),
      });
      await waiting;
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });
  });
}
