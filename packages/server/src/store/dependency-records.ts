/* The records of task dependencies (a task graph); the Store contract (store.ts) reads and writes them. */

export const AFTER_POLICIES = ['finished', 'succeeded', 'any'] as const;
/**
 * When a dependency lets its dependent run: `finished` — it stored a result, whatever the
 * exit code; `succeeded` — a result with exit code 0; `any` — it ended in any way (also
 * failed or cancelled).
 */
export type AfterPolicy = (typeof AFTER_POLICIES)[number];

/** A file of a dependency's result that becomes a file of the dependent's task. */
export interface TaskInput {
  /** The dependency's key (one of the task's dependencies). */
  from: string;
  /** The file name in that dependency's result. */
  path: string;
}

/** What a new task waits on (given to `createTask` in `TaskRecord.links`). */
export interface NewTaskLinks {
  /** Distinct keys of existing tasks, at most `MAX_DEPENDENCIES`. */
  dependencies: string[];
  after: AfterPolicy;
  /** Input file name in the dependent's task → the dependency result file it is. */
  inputs?: Record<string, TaskInput>;
}

export const MAX_DEPENDENCIES = 10_000;

/** How one dependency ended for its dependent (absent while it has not ended). */
export type EdgeOutcome = 'satisfied' | 'unsatisfied';

export interface DependencyEdge {
  /** The other task's key (the dependency, or the dependent). */
  key: string;
  outcome?: EdgeOutcome;
}

/** A task's place in the graph, as `getTaskLinks` reads it. */
export interface TaskLinks {
  /** Absent when the task was submitted without dependencies. */
  after?: AfterPolicy;
  inputs?: Record<string, TaskInput>;
  /** In the order submitted. */
  dependencies: DependencyEdge[];
  /** How many dependencies have not satisfied it yet (0 once released). */
  unsatisfied: number;
  /** Tasks depending on this one: the first `dependentLimit` (by key) and the total. */
  dependents: (DependencyEdge & { after: AfterPolicy })[];
  dependentCount: number;
}
