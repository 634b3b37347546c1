import { describe, expect, it } from 'vitest';
import { TASK_STATES, type TaskRecord } from '../src/store/store.js';
import {
  T0,
  assignedTask,
  at,
  expectKolejkaError,
  hashOf,
  makeResult,
  makeTask,
  putBlobs,
  useStore,
  type StoreEngine,
} from './store-fixtures.js';

const keyOf = (n: number): string => n.toString(16).padStart(32, '0');

/** Creating, reading, listing, counting and deleting tasks. */
export function describeTaskConformance(engine: StoreEngine): void {
  const context = useStore(engine);

  describe('tasks', () => {
    it('stores a task and returns it as given', async () => {
      const { store } = context();
      const [input] = await putBlobs(store, 'input');
      const task = makeTask({
        files: { 'a.txt': input!, 'b.txt': input! },
        priority: -3,
        maxAttempts: 5,
      });
      await store.createTask(task);
      expect(await store.getTask(task.key)).toEqual(task);
      expect(await store.getTask(keyOf(999))).toBeUndefined();
      await store.createTask(makeTask({ key: keyOf(1), state: 'waiting' }));
      expect((await store.getTask(keyOf(1)))?.state).toBe('waiting');
    });

    it('refuses duplicates, other states, unknown blobs and non-hash references', async () => {
      const { store } = context();
      const task = makeTask({ key: keyOf(1) });
      await store.createTask(task);
      await expectKolejkaError(store.createTask(task), 'KOLEJKA_CONFLICT', new RegExp(task.key));
      await expectKolejkaError(
        store.createTask(makeTask({ key: keyOf(2), state: 'running' })),
        'KOLEJKA_VALIDATION',
        /queued or waiting/,
      );
      await expectKolejkaError(
        store.createTask(
          makeTask({ key: keyOf(3), files: { 'in.txt': hashOf('never uploaded') } }),
        ),
        'KOLEJKA_NOT_FOUND',
        /in\.txt/,
      );
      await expectKolejkaError(
        store.createTask(makeTask({ key: keyOf(4), files: { 'in.txt': 'not-a-hash' } })),
        'KOLEJKA_VALIDATION',
        /in\.txt/,
      );
      expect(await store.getTask(keyOf(3))).toBeUndefined();
      expect((await store.readEvents(0, 100)).map((e) => e.taskKey)).toEqual([keyOf(1)]);
    });

    it('lists newest first with filters', async () => {
      const { store } = context();
      await store.createTask(makeTask({ key: keyOf(1), owner: 'alice', createdAt: at(1) }));
      await store.createTask(makeTask({ key: keyOf(2), owner: 'bob', createdAt: at(2) }));
      await store.createTask(makeTask({ key: keyOf(3), owner: 'alice', createdAt: at(3) }));
      await store.createTask(makeTask({ key: keyOf(4), owner: 'alice', createdAt: at(3) }));
      await store.claimTask(keyOf(3), { assignee: 'f1', leaseExpiresAt: at(60), now: at(4) });
      const keys = async (filter: Parameters<typeof store.listTasks>[0]): Promise<string[]> =>
        (await store.listTasks(filter, 100)).items.map((t) => t.key);

      expect(await keys({})).toEqual([keyOf(4), keyOf(3), keyOf(2), keyOf(1)]);
      expect(await keys({ owner: 'alice' })).toEqual([keyOf(4), keyOf(3), keyOf(1)]);
      expect(await keys({ states: ['assigned'] })).toEqual([keyOf(3)]);
      expect(await keys({ states: ['queued', 'assigned'], owner: 'bob' })).toEqual([keyOf(2)]);
      expect(await keys({ states: [] })).toEqual([]);
      expect(await keys({ assignee: 'f1' })).toEqual([keyOf(3)]);
      expect(await keys({ createdAfter: at(1), createdBefore: at(3) })).toEqual([keyOf(2)]);
      expect((await store.listTasks({}, 100)).nextCursor).toBeUndefined();
      await expectKolejkaError(
        store.listTasks({ states: ['sleeping' as 'queued'] }, 10),
        'KOLEJKA_VALIDATION',
        /sleeping/,
      );
    });

    it('pages with a cursor that stays stable when tasks are added', async () => {
      const { store } = context();
      for (let i = 0; i < 10; i++)
        await store.createTask(makeTask({ key: keyOf(i), createdAt: at(Math.floor(i / 2)) }));
      const expected = Array.from({ length: 10 }, (_, i) => keyOf(9 - i));

      const first = await store.listTasks({}, 4);
      expect(first.items.map((t) => t.key)).toEqual(expected.slice(0, 4));
      expect(first.nextCursor).toEqual(expect.any(String));
      // New tasks (newer, and one with an equal time but a bigger key) land before the cursor.
      await store.createTask(makeTask({ key: keyOf(100), createdAt: at(50) }));
      await store.createTask(makeTask({ key: keyOf(101), createdAt: at(4) }));
      const second = await store.listTasks({}, 4, first.nextCursor);
      const third = await store.listTasks({}, 4, second.nextCursor);
      expect([...second.items, ...third.items].map((t) => t.key)).toEqual(expected.slice(4));
      expect(third.nextCursor).toBeUndefined();

      const pagedByOwner = await store.listTasks({ owner: 'alice' }, 3, first.nextCursor);
      expect(pagedByOwner.items.map((t) => t.key)).toEqual(expected.slice(4, 7));

      await expectKolejkaError(store.listTasks({}, 4, 'garbage'), 'KOLEJKA_VALIDATION', /cursor/);
      await expectKolejkaError(store.listTasks({}, 0), 'KOLEJKA_VALIDATION', /limit/);
    });

    it('filters by tag, image and key text, alone and with the other filters', async () => {
      const { store } = context();
      const task = (n: number, image: string, requires: string[], owner = 'alice') => {
        const made = makeTask({ key: keyOf(n), owner, createdAt: at(n) });
        return { ...made, spec: { ...made.spec, image, requires } };
      };
      await store.createTask(task(1, 'img/a:1', ['gpu', 'big']));
      await store.createTask(task(2, 'img/b:1', ['gpu'], 'bob'));
      await store.createTask(task(3, 'img/a:1', []));
      await store.createTask(task(4, 'img/a:10', ['gpus']));
      await store.failTask(keyOf(1), 'broken', at(5));
      const keys = async (filter: Parameters<typeof store.listTasks>[0]): Promise<string[]> =>
        (await store.listTasks(filter, 100)).items.map((t) => t.key);

      expect(await keys({ tag: 'gpu' })).toEqual([keyOf(2), keyOf(1)]);
      expect(await keys({ tag: 'gp' })).toEqual([]);
      expect(await keys({ image: 'img/a:1' })).toEqual([keyOf(3), keyOf(1)]);
      expect(await keys({ image: 'img/a' })).toEqual([]);
      expect(await keys({ tag: 'gpu', image: 'img/a:1' })).toEqual([keyOf(1)]);
      expect(await keys({ tag: 'gpu', owner: 'bob' })).toEqual([keyOf(2)]);
      expect(await keys({ tag: 'gpu', states: ['failed'] })).toEqual([keyOf(1)]);
      expect(await keys({ image: 'img/a:1', states: ['queued'] })).toEqual([keyOf(3)]);
      // The key text ignores case and matches anywhere in the key.
      const three = keyOf(3);
      expect(await keys({ keyContains: three.slice(-6).toUpperCase() })).toEqual([keyOf(3)]);
      expect(await keys({ keyContains: three })).toEqual([keyOf(3)]);
      expect(await keys({ keyContains: three.slice(0, 4), tag: 'gpu' })).toEqual(
        [keyOf(2), keyOf(1)].filter((key) => key.includes(three.slice(0, 4))),
      );
      await expectKolejkaError(
        store.listTasks({ keyContains: 'xyz' }, 10),
        'KOLEJKA_VALIDATION',
        /key/,
      );
      await expectKolejkaError(
        store.listTasks({ sort: 'sideways' as 'newest' }, 10),
        'KOLEJKA_VALIDATION',
        /sort/,
      );
    });

    it('lists and pages oldest first; a cursor continues only its own order', async () => {
      const { store } = context();
      for (let i = 0; i < 10; i++)
        await store.createTask(
          makeTask({
            key: keyOf(i),
            owner: i % 2 === 0 ? 'alice' : 'bob',
            createdAt: at(Math.floor(i / 2)),
          }),
        );
      const oldest = Array.from({ length: 10 }, (_, i) => keyOf(i));
      const first = await store.listTasks({ sort: 'oldest' }, 4);
      expect(first.items.map((t) => t.key)).toEqual(oldest.slice(0, 4));
      // An older task added after the first page is not seen by the pages that follow it.
      await store.createTask(makeTask({ key: keyOf(100), createdAt: at(0) }));
      const second = await store.listTasks({ sort: 'oldest' }, 4, first.nextCursor);
      const third = await store.listTasks({ sort: 'oldest' }, 4, second.nextCursor);
      expect([...second.items, ...third.items].map((t) => t.key)).toEqual(oldest.slice(4));
      expect(third.nextCursor).toBeUndefined();
      expect(
        (await store.listTasks({ sort: 'oldest', owner: 'bob' }, 2)).items.map((t) => t.key),
      ).toEqual([keyOf(1), keyOf(3)]);
      expect((await store.listTasks({ sort: 'newest' }, 1)).items[0]?.key).toBe(keyOf(9));

      await expectKolejkaError(
        store.listTasks({ sort: 'newest' }, 4, first.nextCursor),
        'KOLEJKA_VALIDATION',
        /sort=oldest/,
      );
      const newest = await store.listTasks({}, 4);
      await expectKolejkaError(
        store.listTasks({ sort: 'oldest' }, 4, newest.nextCursor),
        'KOLEJKA_VALIDATION',
        /sort=newest/,
      );
    });

    it('pages a tag, and several states, in both orders; a deleted task leaves its tag', async () => {
      const { store } = context();
      for (let i = 0; i < 12; i++) {
        const made = makeTask({ key: keyOf(i), createdAt: at(Math.floor(i / 2)) });
        const requires = i % 3 === 0 ? ['gpu'] : ['cpu', 'big'];
        await store.createTask({ ...made, spec: { ...made.spec, requires } });
        if (i % 4 === 1) await store.cancelTask(keyOf(i), 'x', at(20));
        if (i % 4 === 2) await store.failTask(keyOf(i), 'x', at(20));
      }
      const all = async (filter: Parameters<typeof store.listTasks>[0], size: number) => {
        const out: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listTasks(filter, size, cursor);
          expect(page.items.length).toBeLessThanOrEqual(size);
          out.push(...page.items.map((t) => t.key));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        return out;
      };
      const oldest = Array.from({ length: 12 }, (_, i) => i);
      const pick = (keep: (i: number) => boolean) => oldest.filter(keep).map(keyOf);
      const cpu = pick((i) => i % 3 !== 0);
      const ended = pick((i) => i % 4 === 1 || i % 4 === 2);
      for (const size of [1, 2, 5, 50]) {
        expect(await all({ tag: 'cpu', sort: 'oldest' }, size)).toEqual(cpu);
        expect(await all({ tag: 'cpu' }, size)).toEqual([...cpu].reverse());
        expect(await all({ states: ['cancelled', 'failed'], sort: 'oldest' }, size)).toEqual(ended);
        expect(await all({ states: ['failed', 'cancelled', 'failed'] }, size)).toEqual(
          [...ended].reverse(),
        );
        expect(await all({ tag: 'big', states: ['queued', 'failed'] }, size)).toEqual(
          pick((i) => i % 3 !== 0 && i % 4 !== 1).reverse(),
        );
      }
      await store.deleteTask(keyOf(3), at(30));
      expect(await all({ tag: 'gpu', sort: 'oldest' }, 2)).toEqual([keyOf(0), keyOf(6), keyOf(9)]);
    });

    it('lists queued tasks in run order: priority, then age, then key', async () => {
      const { store } = context();
      await store.createTask(makeTask({ key: keyOf(1), priority: 0, createdAt: at(1) }));
      await store.createTask(makeTask({ key: keyOf(2), priority: 5, createdAt: at(9) }));
      await store.createTask(makeTask({ key: keyOf(4), priority: 0, createdAt: at(0) }));
      await store.createTask(makeTask({ key: keyOf(3), priority: 0, createdAt: at(0) }));
      await store.createTask(makeTask({ key: keyOf(5), priority: -1, createdAt: at(0) }));
      await store.createTask(makeTask({ key: keyOf(6), priority: 9, state: 'waiting' }));
      await store.createTask(makeTask({ key: keyOf(7), priority: 9 }));
      await store.claimTask(keyOf(7), { assignee: 'f', leaseExpiresAt: at(60), now: at(1) });
      const order = [keyOf(2), keyOf(3), keyOf(4), keyOf(1), keyOf(5)];

      expect((await store.listQueuedTasks(100)).map((t) => t.key)).toEqual(order);
      const firstTwo = await store.listQueuedTasks(2);
      expect(firstTwo.map((t) => t.key)).toEqual(order.slice(0, 2));
      const last = firstTwo[1]!;
      const rest = await store.listQueuedTasks(100, {
        priority: last.priority,
        createdAt: last.createdAt,
        key: last.key,
      });
      expect(rest.map((t) => t.key)).toEqual(order.slice(2));
    });

    it('counts tasks in every state', async () => {
      const { store } = context();
      const empty = await store.countTasksByState();
      expect(Object.keys(empty).sort()).toEqual([...TASK_STATES].sort());
      expect(Object.values(empty).every((n) => n === 0)).toBe(true);
      await store.createTask(makeTask());
      await store.createTask(makeTask());
      await store.createTask(makeTask({ state: 'waiting' }));
      const running = await assignedTask(store);
      await store.startTask(running.key, 1, at(2));
      expect(await store.countTasksByState()).toMatchObject({
        queued: 2,
        waiting: 1,
        running: 1,
        assigned: 0,
        finished: 0,
      });
    });

    it('sums up the activity since a time: waits of tasks assigned, ends per minute', async () => {
      const { store } = context();
      const claim = (key: string, seconds: number) =>
        store.claimTask(key, {
          assignee: 'f1',
          leaseExpiresAt: at(seconds + 600),
          now: at(seconds),
        });
      const created = async (n: number, seconds: number, owner = 'alice') => {
        await store.createTask(
          makeTask({ key: keyOf(n), owner, createdAt: at(seconds), updatedAt: at(seconds) }),
        );
        return keyOf(n);
      };
      const a = await created(1, 0);
      await claim(a, 10);
      await store.finishTask(a, 1, makeResult(a, 1), at(70));
      const b = await created(2, 5, 'bob');
      await claim(b, 65);
      await store.failTask(b, 'broken', at(130), 1);
      const c = await created(3, 0);
      await store.cancelTask(c, 'stop', at(30));
      // Assigned before the window (its wait does not count), ended in it.
      const d = await created(4, -1000);
      await claim(d, -500);
      await store.finishTask(d, 1, makeResult(d, 1), at(20));
      // Ended before the window.
      const e = await created(5, -100);
      await claim(e, -90);
      await store.finishTask(e, 1, makeResult(e, 1), at(-10));
      // Ended in the window, then requeued: it is waiting again, and counts nowhere.
      const f = await created(6, 0);
      await claim(f, 1);
      await store.finishTask(f, 1, makeResult(f, 1), at(40));
      await store.requeueTask(f, at(50));
      // Assigned in the window, still running.
      const g = await created(7, 100, 'bob');
      await claim(g, 100.5);

      const byMinute = (ended: { minute: number; state: string; count: number }[]) =>
        [...ended].sort((x, y) => x.minute - y.minute || x.state.localeCompare(y.state));
      const all = await store.taskActivity(at(0));
      expect(all.waitsMs).toEqual([500, 10_000, 60_000]);
      expect(byMinute(all.ended)).toEqual([
        { minute: 0, state: 'cancelled', count: 1 },
        { minute: 0, state: 'finished', count: 1 },
        { minute: 1, state: 'finished', count: 1 },
        { minute: 2, state: 'failed', count: 1 },
      ]);
      const bobs = await store.taskActivity(at(0), 'bob');
      expect(bobs.waitsMs).toEqual([500, 60_000]);
      expect(bobs.ended).toEqual([{ minute: 2, state: 'failed', count: 1 }]);
      expect(await store.taskActivity(at(0), 'nobody')).toEqual({ waitsMs: [], ended: [] });
      const later = await store.taskActivity(at(120));
      expect(later).toEqual({ waitsMs: [], ended: [{ minute: 0, state: 'failed', count: 1 }] });
    });

    it('deletes a task with its result', async () => {
      const { store } = context();
      const [out] = await putBlobs(store, 'out');
      const task = await assignedTask(store);
      await store.finishTask(task.key, 1, makeResult(task.key, 1, { files: { o: out! } }), at(2));
      expect(await store.deleteTask(task.key, at(3))).toBe(true);
      expect(await store.deleteTask(task.key, at(3))).toBe(false);
      expect(await store.getTask(task.key)).toBeUndefined();
      expect(await store.getResult(task.key)).toBeUndefined();
      expect(await store.removeBlobIfUnreferenced(out!)).toBe(true);
      const events = await store.readEvents(0, 100);
      expect(events.at(-1)).toMatchObject({
        taskKey: task.key,
        state: 'finished',
        isDeleted: true,
      });
      expect(events.slice(0, -1).every((e) => e.isDeleted === undefined)).toBe(true);
    });

    it('keeps times to the millisecond', async () => {
      const { store } = context();
      const createdAt = new Date(T0.getTime() + 123);
      const task: TaskRecord = makeTask({ createdAt, updatedAt: createdAt });
      await store.createTask(task);
      expect((await store.getTask(task.key))?.createdAt.getTime()).toBe(createdAt.getTime());
    });
  });
}
