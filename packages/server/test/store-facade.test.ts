import { describe, expect, it } from 'vitest';
import { bindStore } from '../src/store/store-facade.js';
import {
  STORE_OPERATIONS,
  type EngineFunctions,
  type StoreOperation,
} from '../src/store/store-operations.js';

describe('bindStore', () => {
  it('gives every operation of the table a method that runs the engine function of its name', async () => {
    const calls: unknown[] = [];
    // An engine whose every function records its call and answers with its name.
    const functions = new Proxy(
      {},
      {
        get:
          (_target, name) =>
          (db: string, ...args: unknown[]) => {
            calls.push([name, db, args]);
            return `${String(name)} answered`;
          },
      },
    ) as EngineFunctions<string, 'sync'>;
    const runs: StoreOperation[] = [];
    const store = bindStore(functions, (operation, call) => {
      runs.push(operation);
      return Promise.resolve(call('the handle'));
    });

    expect(Object.keys(store).sort()).toEqual(Object.keys(STORE_OPERATIONS).sort());
    expect(await store.failTask('k', 'why', new Date(5), 2)).toBe('failTask answered');
    expect(await store.getTask('k')).toBe('getTask answered');
    expect(calls).toEqual([
      ['failTask', 'the handle', ['k', 'why', new Date(5), 2]],
      ['getTask', 'the handle', ['k']],
    ]);
    expect(runs).toEqual([
      { doing: 'fail a task', mode: 'write' },
      { doing: 'read a task', mode: 'read' },
    ]);
  });

  it('passes an engine failure through its run', async () => {
    const functions = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('engine failed');
        },
      },
    ) as EngineFunctions<string, 'sync'>;
    const store = bindStore(functions, async (operation, call) => {
      try {
        return await Promise.resolve(call('db'));
      } catch (error) {
        throw new Error(`Could not ${operation.doing}`, { cause: error });
      }
    });
    await expect(store.deleteTask('k', new Date(0))).rejects.toThrow('Could not delete a task');
  });
});
