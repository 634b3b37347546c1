import { describe, expect, it } from 'vitest';
import {
  T0,
  assignedTask,
  at,
  expectKolejkaError,
  makeTask,
  useStore,
  type StoreEngine,
} from './store-fixtures.js';

/** Queue control (issue 12): pauses, priority changes, user weight and limits, counts. */
export function describeQueueControlConformance(engine: StoreEngine): void {
  const context = useStore(engine);

  describe('queue control', () => {
    it('pauses the whole queue and single tags, keeps the first pause, resumes', async () => {
      const { store, openAnother } = context();
      expect(await store.listQueuePauses()).toEqual([]);
      expect(await store.pauseQueue({ tag: 'judge', pausedBy: 'mia', pausedAt: T0 })).toBe(true);
      expect(await store.pauseQueue({ pausedBy: 'mia', pausedAt: at(1) })).toBe(true);
      expect(await store.pauseQueue({ tag: 'judge', pausedBy: 'bob', pausedAt: at(2) })).toBe(
        false,
      );
      // Another connection (another server process) sees the same pauses.
      const other = await openAnother();
      expect(await other.listQueuePauses()).toEqual([
        { pausedBy: 'mia', pausedAt: at(1) },
        { tag: 'judge', pausedBy: 'mia', pausedAt: T0 },
      ]);
      expect(await other.resumeQueue()).toBe(true);
      expect(await store.resumeQueue()).toBe(false);
      expect(await store.listQueuePauses()).toEqual([
        { tag: 'judge', pausedBy: 'mia', pausedAt: T0 },
      ]);
      expect(await store.resumeQueue('judge')).toBe(true);
      expect(await store.listQueuePauses()).toEqual([]);
      await expectKolejkaError(
        store.pauseQueue({ tag: '', pausedBy: 'mia', pausedAt: T0 }),
        'KOLEJKA_VALIDATION',
        /empty/,
      );
    });

    it('changes the priority of waiting and queued tasks only, with an event', async () => {
      const { store } = context();
      const queued = makeTask();
      const waiting = makeTask({ state: 'waiting' });
      await store.createTask(queued);
      await store.createTask(waiting);
      const seq = await store.lastEventSeq();
      const changed = await store.setTaskPriority(queued.key, 7, at(5));
      expect(changed).toMatchObject({ key: queued.key, state: 'queued', priority: 7 });
      expect(changed?.updatedAt).toEqual(at(5));
      expect(await store.getTask(queued.key)).toMatchObject({ priority: 7 });
      expect((await store.setTaskPriority(waiting.key, -2, at(6)))?.priority).toBe(-2);
      const events = await store.readEvents(seq, 10);
      expect(events.map((e) => [e.taskKey, e.state])).toEqual([
        [queued.key, 'queued'],
        [waiting.key, 'waiting'],
      ]);
      // The run order follows the new priority.
      const other = makeTask({ priority: 5 });
      await store.createTask(other);
      expect((await store.listQueuedTasks(10)).map((t) => t.key)).toEqual([queued.key, other.key]);

      await store.claimTask(queued.key, { assignee: 'f1', leaseExpiresAt: at(60), now: at(7) });
      expect(await store.setTaskPriority(queued.key, 1, at(8))).toBeUndefined();
      expect((await store.getTask(queued.key))?.priority).toBe(7);
      expect(await store.setTaskPriority('0'.repeat(32), 1, at(8))).toBeUndefined();
    });

    it('sets, reads and clears a user weight and limits', async () => {
      const { store } = context();
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: T0 });
      expect(await store.setUserQueuePolicy('bob', { weight: 3, maxRunning: 2 })).toBe(true);
      expect(await store.getUser('bob')).toEqual({
        username: 'bob',
        roles: ['client'],
        createdAt: T0,
        weight: 3,
        maxRunning: 2,
      });
      expect(await store.setUserQueuePolicy('bob', { maxQueued: 0, maxRunning: null })).toBe(true);
      const bob = (await store.listUsers())[0];
      expect(bob).toMatchObject({ weight: 3, maxQueued: 0 });
      expect(bob).not.toHaveProperty('maxRunning');
      expect(await store.setUserQueuePolicy('bob', {})).toBe(true);
      expect(await store.setUserQueuePolicy('nobody', { weight: 1 })).toBe(false);
      await expectKolejkaError(
        store.setUserQueuePolicy('bob', { weight: 0 }),
        'KOLEJKA_VALIDATION',
        /weight/,
      );
      await expectKolejkaError(
        store.setUserQueuePolicy('bob', { maxQueued: 1.5 }),
        'KOLEJKA_VALIDATION',
        /maxQueued/,
      );
      expect((await store.getUser('bob'))?.weight).toBe(3);
    });

    it('moves a task within its priority, writing that task only', async () => {
      const { store } = context();
      const a = makeTask({ createdAt: at(1) });
      const b = makeTask({ createdAt: at(2) });
      const c = makeTask({ createdAt: at(3) });
      for (const task of [a, b, c]) await store.createTask(task);
      const other = makeTask({ priority: 3, createdAt: at(4) });
      await store.createTask(other);
      const order = async (): Promise<string[]> => {
        const tasks = (await store.listTasks({ states: ['queued'] }, 100)).items.filter(
          (t) => t.priority === 0,
        );
        return tasks
          .sort(
            (x, y) =>
              (x.queueOrder ?? x.createdAt.getTime()) - (y.queueOrder ?? y.createdAt.getTime()),
          )
          .map((t) => t.key);
      };
      const seq = await store.lastEventSeq();
      const front = await store.moveTask(c.key, { to: 'front' }, at(10));
      expect(front).toMatchObject({ outcome: 'moved', task: { key: c.key, state: 'queued' } });
      expect(await order()).toEqual([c.key, a.key, b.key]);
      expect((await store.readEvents(seq, 10)).map((e) => e.taskKey)).toEqual([c.key]);
      expect((await store.getTask(a.key))?.queueOrder).toBeUndefined();

      expect((await store.moveTask(c.key, { to: 'back' }, at(11))).outcome).toBe('moved');
      expect(await order()).toEqual([a.key, b.key, c.key]);
      expect((await store.moveTask(c.key, { before: b.key }, at(12))).outcome).toBe('moved');
      expect(await order()).toEqual([a.key, c.key, b.key]);
      expect((await store.moveTask(b.key, { before: a.key }, at(13))).outcome).toBe('moved');
      expect(await order()).toEqual([b.key, a.key, c.key]);

      expect(await store.moveTask(a.key, { before: other.key }, at(14))).toEqual({
        outcome: 'other_priority',
        priority: 3,
      });
      expect(await store.moveTask(a.key, { before: '0'.repeat(32) }, at(14))).toEqual({
        outcome: 'before_not_found',
      });
      expect(await store.moveTask('0'.repeat(32), { to: 'front' }, at(14))).toEqual({
        outcome: 'not_found',
      });
      await store.cancelTask(b.key, 'test', at(15));
      expect(await store.moveTask(b.key, { to: 'front' }, at(16))).toMatchObject({
        outcome: 'wrong_state',
        state: 'cancelled',
      });
      // Alone at its priority: nothing to move past.
      expect((await store.moveTask(other.key, { to: 'front' }, at(17))).outcome).toBe('moved');
    });

    it("counts a user's tasks in the given states", async () => {
      const { store } = context();
      await store.createTask(makeTask({ owner: 'bob' }));
      await store.createTask(makeTask({ owner: 'bob', state: 'waiting' }));
      await store.createTask(makeTask({ owner: 'eve' }));
      await assignedTask(store, 'f1', { owner: 'bob' });
      expect(await store.countTasksOf('bob', ['queued', 'waiting'])).toBe(2);
      expect(await store.countTasksOf('bob', ['assigned', 'running'])).toBe(1);
      expect(await store.countTasksOf('eve', ['queued'])).toBe(1);
      expect(await store.countTasksOf('nobody', ['queued'])).toBe(0);
      await expectKolejkaError(
        store.countTasksOf('bob', ['nap' as 'queued']),
        'KOLEJKA_VALIDATION',
        /nap/,
      );
    });
  });
}
