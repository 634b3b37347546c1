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
