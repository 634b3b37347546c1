import { TASK_STATES as SPEC_TASK_STATES } from '@kolejka/spec';
import { describe, expect, it } from 'vitest';
import { TASK_STATES } from '../src/api/types.js';

describe('the dashboard’s task states', () => {
  it('are the spec’s, in its order (the dashboard keeps a copy to keep the spec out of its bundle)', () => {
    expect([...TASK_STATES]).toEqual([...SPEC_TASK_STATES]);
  });
});
