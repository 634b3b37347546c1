import { describe, expect, it } from 'vitest';
import type { AfterPolicy, Store, TaskRecord } from '../src/store/store.js';
import {
  assignedTask,
  at,
  expectKolejkaError,
  makeResult,
  makeTask,
  newKey,
  putBlobs,
  useStore,
  type StoreEngine,
} from './store-fixtures.js';

/** Task dependencies: release exactly once, after policies, propagation, inputs, counters. */
export function describeDependencyConformance(engine: StoreEngine): void {
  const context = useStore(engine);

  async function dependent(
    store: Store,
    dependencies: string[],
    after: AfterPolicy = 'finished',
    extra: Partial<TaskRecord> = {},
  ): Promise<TaskRecord> {
    const task = makeTask({ state: 'waiting', links: { dependencies, after }, ...extra });
    await store.createTask(task);
    return task;
  }

  async function finish(store: Store, key: string, exit = 0, files = {}): Promise<void> {
    const claimed = await store.claimTask(key, {
      assignee: 'f',
      leaseExpiresAt: at(60),
      now: at(1),
    });
    if (claimed === undefined) throw new Error(`could not claim ${key}`);
    const outcome = await store.finishTask(
      key,
      claimed.attempt,
      makeResult(key, claimed.attempt, { exit, files }),
      at(2),
    );
    expect(outcome.outcome).toBe('stored');
  }

  const stateOf = async (store: Store, key: string): Promise<TaskRecord | undefined> =>
    store.getTask(key);

  describe('dependencies', () => {
    it('keeps a dependent waiting until its last dependency finishes, then queues it once', async () => {
      const { store } = context();
      const a = await assignedTask(store, 'f');
      const b = makeTask();
      await store.createTask(b);
      const d = await dependent(store, [a.key, b.key]);
      expect((await stateOf(store, d.key))?.state).toBe('waiting');
      expect(await store.getTaskLinks(d.key, 10)).toMatchObject({
        after: 'finished',
        unsatisfied: 2,
        dependencies: [{ key: a.key }, { key: b.key }],
        dependentCount: 0,
      });
      expect(await store.getTaskLinks(a.key, 10)).toMatchObject({
        dependents: [{ key: d.key, after: 'finished' }],
        dependentCount: 1,
        unsatisfied: 0,
      });
      const seqBefore = await store.lastEventSeq();
      const outcome = await store.finishTask(a.key, 1, makeResult(a.key, 1, { exit: 3 }), at(5));
      expect(outcome.outcome).toBe('stored');
      expect((await stateOf(store, d.key))?.state).toBe('waiting');
      expect((await store.getTaskLinks(d.key, 10))?.unsatisfied).toBe(1);
      await finish(store, b.key);
      expect((await stateOf(store, d.key))?.state).toBe('queued');
      const events = (await store.readEvents(seqBefore, 100)).filter((e) => e.taskKey === d.key);
      expect(events.map((e) => e.state)).toEqual(['queued']);
      // A re-run of an ended dependency does not decide the dependent again.
      await store.requeueTask(b.key, at(10));
      await finish(store, b.key);
      const after = (await store.readEvents(seqBefore, 100)).filter((e) => e.taskKey === d.key);
      expect(after).toHaveLength(1);
      expect(await store.getTaskLinks(d.key, 10)).toMatchObject({
        unsatisfied: 0,
        dependencies: [
          { key: a.key, outcome: 'satisfied' },
          { key: b.key, outcome: 'satisfied' },
        ],
      });
    });

    it('decides at once a task whose dependencies already ended', async () => {
      const { store } = context();
      const a = makeTask();
      await store.createTask(a);
      await finish(store, a.key, 1);
      const ok = await dependent(store, [a.key], 'finished');
      const no = await dependent(store, [a.key], 'succeeded');
      expect((await stateOf(store, ok.key))?.state).toBe('queued');
      expect(await stateOf(store, no.key)).toMatchObject({
        state: 'cancelled',
        reason: `dependency ${a.key} exited 1`,
      });
    });

    it('applies the after policies to failed and cancelled dependencies and propagates cancellation', async () => {
      const { store } = context();
      const a = makeTask();
      await store.createTask(a);
      const finished = await dependent(store, [a.key], 'finished');
      const any = await dependent(store, [a.key], 'any');
      const grandchild = await dependent(store, [finished.key], 'finished');
      const greatGrandchild = await dependent(store, [grandchild.key], 'any');
      expect(await store.failTask(a.key, 'bad image', at(3))).toBeDefined();
      expect(await stateOf(store, finished.key)).toMatchObject({
        state: 'cancelled',
        reason: `dependency ${a.key} failed: bad image`,
      });
      expect((await stateOf(store, any.key))?.state).toBe('queued');
      expect(await stateOf(store, grandchild.key)).toMatchObject({
        state: 'cancelled',
        reason: `dependency ${finished.key} was cancelled`,
      });
      // `any` accepts a cancelled dependency.
      expect((await stateOf(store, greatGrandchild.key))?.state).toBe('queued');

      const c = makeTask();
      await store.createTask(c);
      const onCancel = await dependent(store, [c.key], 'succeeded');
      await store.cancelTask(c.key, 'by alice', at(4));
      expect(await stateOf(store, onCancel.key)).toMatchObject({
        state: 'cancelled',
        reason: `dependency ${c.key} was cancelled`,
      });
    });

    it('cancels dependents of a task that failed by losing its last lease', async () => {
      const { store } = context();
      const a = await assignedTask(store, 'f', { maxAttempts: 1 });
      const d = await dependent(store, [a.key], 'finished');
      const expired = await store.expireLeases(at(61), () => 'lost');
      expect(expired.map((e) => e.outcome)).toEqual(['failed']);
      expect(await stateOf(store, d.key)).toMatchObject({
        state: 'cancelled',
        reason: `dependency ${a.key} failed: lost`,
      });
    });

    it('releases a dependent exactly once when two store instances end its dependencies at once', async () => {
      const { store, openAnother } = context();
      const other = await openAnother();
      const a = await assignedTask(store, 'f');
      const b = await assignedTask(store, 'f');
      const d = await dependent(store, [a.key, b.key]);
      const seq = await store.lastEventSeq();
      await Promise.all([
        store.finishTask(a.key, 1, makeResult(a.key, 1), at(5)),
        other.finishTask(b.key, 1, makeResult(b.key, 1), at(5)),
      ]);
      expect((await stateOf(store, d.key))?.state).toBe('queued');
      const events = (await store.readEvents(seq, 100)).filter((e) => e.taskKey === d.key);
      expect(events.map((e) => e.state)).toEqual(['queued']);
    });

    it('turns inputs into task files naming the result blobs, or cancels when the file is missing', async () => {
      const { store } = context();
      const [binary] = await putBlobs(store, 'compiled binary');
      const a = makeTask();
      await store.createTask(a);
      const good = await dependent(store, [a.key], 'succeeded', {
        links: {
          dependencies: [a.key],
          after: 'succeeded',
          inputs: { 'bin/prog': { from: a.key, path: 'out/prog' } },
        },
      });
      const bad = await dependent(store, [a.key], 'succeeded', {
        links: {
          dependencies: [a.key],
          after: 'succeeded',
          inputs: { prog: { from: a.key, path: 'missing' } },
        },
      });
      await finish(store, a.key, 0, { 'out/prog': binary });
      const released = await stateOf(store, good.key);
      expect(released?.state).toBe('queued');
      expect(released?.spec.files['bin/prog']).toEqual({ reference: binary });
      expect(await stateOf(store, bad.key)).toMatchObject({
        state: 'cancelled',
        reason: `dependency ${a.key} has no result file missing`,
      });
      // The released task now names the blob itself: gc may not remove it with the result gone.
      await store.deleteTask(a.key, at(20));
      expect(await store.removeBlobIfUnreferenced(binary ?? '')).toBe(false);
    });

    it('refuses unknown, duplicate, self and too many dependencies, and inputs from others', async () => {
      const { store } = context();
      const a = makeTask();
      await store.createTask(a);
      const unknown = newKey();
      await expectKolejkaError(
        dependent(store, [a.key, unknown]),
        'KOLEJKA_NOT_FOUND',
        new RegExp(unknown),
      );
      await expectKolejkaError(dependent(store, [a.key, a.key]), 'KOLEJKA_VALIDATION', /twice/);
      const self = newKey();
      await expectKolejkaError(
        dependent(store, [self], 'finished', { key: self }),
        'KOLEJKA_VALIDATION',
        /cycle/,
      );
      await expectKolejkaError(
        dependent(
          store,
          Array.from({ length: 10_001 }, () => newKey()),
        ),
        'KOLEJKA_VALIDATION',
        /more than 10000/,
      );
      await expectKolejkaError(
        dependent(store, [a.key], 'finished', {
          links: {
            dependencies: [a.key],
            after: 'finished',
            inputs: { x: { from: newKey(), path: 'p' } },
          },
        }),
        'KOLEJKA_VALIDATION',
        /not a dependency/,
      );
      // Nothing of a refused task stays.
      expect((await store.getTaskLinks(a.key, 10))?.dependentCount).toBe(0);
    });

    it('keeps the edges of a deleted dependent out of the dependency’s count', async () => {
      const { store } = context();
      const a = makeTask();
      await store.createTask(a);
      const d = await dependent(store, [a.key]);
      expect((await store.getTaskLinks(a.key, 10))?.dependentCount).toBe(1);
      await store.cancelTask(d.key, 'x', at(2));
      await store.deleteTask(d.key, at(3));
      expect((await store.getTaskLinks(a.key, 10))?.dependentCount).toBe(0);
      expect(await store.getTaskLinks(d.key, 10)).toBeUndefined();
    });
  });
}
