import type { AfterPolicy, EdgeOutcome, TaskInput } from '../dependency-records.js';

/* Documents of task dependencies (issue 12); see mongo-dependencies.ts. */

/** A dependent's policy, inputs and counter of unsatisfied dependencies; `_id` is its key. */
export interface TaskLinksDoc {
  _id: string;
  after: AfterPolicy;
  inputs?: Record<string, TaskInput>;
  unsatisfied: number;
}

/** dependency → dependent; `_id` is `dependency:dependent`. */
export interface TaskEdgeDoc {
  _id: string;
  dependency: string;
  dependent: string;
  position: number;
  after: AfterPolicy;
  outcome?: EdgeOutcome;
}
