import type { ClientContext } from '../client-context.js';
import { checkTaskKey } from '../resources.js';

/** When a dependency lets its dependent run (see the server's README). */
export type AfterPolicy = 'finished' | 'succeeded' | 'any';

/** A file of a dependency's result that becomes a file of the dependent task. */
export interface TaskInput {
  /** The dependency's key. */
  from: string;
  /** The file name in its result. */
  path: string;
}

/** What a submission waits on (`putTask` options, `addContinuation`). */
export interface DependencyOptions {
  /** Keys of tasks this one waits on (at most 10,000). */
  dependencies?: string[];
  /** Default `finished`: a result was stored, whatever its exit code. */
  after?: AfterPolicy;
  /** Task file name → a dependency result file. */
  inputs?: Record<string, TaskInput>;
}

export interface TaskGraphNode {
  key: string;
  /** Absent for a task you may not read. */
  state?: string;
  owner?: string;
  reason?: string;
  after?: AfterPolicy;
  /** Steps from the task asked about: negative upstream, positive downstream. */
  distance: number;
  dependentCount?: number;
}

export interface TaskGraphEdge {
  dependency: string;
  dependent: string;
  after: AfterPolicy;
  outcome?: 'satisfied' | 'unsatisfied';
}

/** `GET /api/v1/tasks/{key}/graph`. */
export interface TaskGraph {
  root: string;
  nodes: TaskGraphNode[];
  edges: TaskGraphEdge[];
  depth: number;
  maxNodes: number;
  isTruncated: boolean;
}

/** The body fields of a submission that carry its dependencies. */
export function dependencyFields(options: DependencyOptions): Record<string, unknown> {
  return {
    ...(options.dependencies === undefined ? {} : { dependencies: options.dependencies }),
    ...(options.after === undefined ? {} : { after: options.after }),
    ...(options.inputs === undefined ? {} : { inputs: options.inputs }),
  };
}

export async function getGraph(
  ctx: ClientContext,
  key: string,
  options: { depth?: number; signal?: AbortSignal } = {},
): Promise<TaskGraph> {
  const query = options.depth === undefined ? '' : `?depth=${options.depth}`;
  const graph = await ctx.transport.json<TaskGraph>({
    method: 'GET',
    path: `/api/v1/tasks/${checkTaskKey(key)}/graph${query}`,
    isIdempotent: true,
    signal: options.signal,
  });
  return graph;
}
