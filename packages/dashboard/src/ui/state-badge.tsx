import type { TaskState } from '../api/types.js';

/** A task state with its colour; the word is always there (colour is not the only cue). */
export function StateBadge({ state }: { state: TaskState }) {
  return <span class={`state state-${state}`}>{state}</span>;
}
