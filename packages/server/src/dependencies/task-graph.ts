import type { Principal } from '../accounts/principal.js';
import type { AfterPolicy, EdgeOutcome, Store } from '../store/store.js';
import { mayReadTask } from '../tasks/task-access.js';

export const DEFAULT_GRAPH_DEPTH = 3;
export const MAX_GRAPH_DEPTH = 20;
/** The most tasks one graph answer lists; beyond it the answer says `isTruncated`. */
export const MAX_GRAPH_NODES = 1000;

export interface GraphNode {
  key: string;
  /** Absent for a task the caller may not read (or one deleted since). */
  state?: string;
  owner?: string;
  reason?: string;
  after?: AfterPolicy;
  /** Steps from the task asked about: negative upstream (dependencies), positive downstream. */
  distance: number;
  dependentCount?: number;
}

export interface GraphEdge {
  dependency: string;
  dependent: string;
  after: AfterPolicy;
  outcome?: EdgeOutcome;
}

export interface TaskGraph {
  root: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  depth: number;
  maxNodes: number;
  /** Some tasks within the depth were left out to keep the answer within `maxNodes`. */
  isTruncated: boolean;
}

/**
 * The task with its dependencies (upstream) and dependents (downstream), breadth first, up
 * to `depth` steps each way and MAX_GRAPH_NODES tasks: the cost is bounded by the answer.
 */
export async function readTaskGraph(
  ports: { store: Store },
  principal: Principal,
  root: string,
  depth: number,
): Promise<TaskGraph> {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  let isTruncated = false;
  const visit = async (key: string, distance: number, direction: -1 | 1): Promise<string[]> => {
    const task = await ports.store.getTask(key);
    const links = await ports.store.getTaskLinks(key, MAX_GRAPH_NODES);
    const isVisible = task !== undefined && (await mayReadTask(ports, principal, task));
    if (!nodes.has(key))
      nodes.set(key, {
        key,
        distance,
        ...(isVisible
          ? {
              state: task.state,
              owner: task.owner,
              ...(task.reason === undefined ? {} : { reason: task.reason }),
              ...(links?.after === undefined ? {} : { after: links.after }),
              dependentCount: links?.dependentCount ?? 0,
            }
          : {}),
      });
    if (!isVisible || links === undefined) return [];
    const next: string[] = [];
    if (direction < 0)
      for (const edge of links.dependencies) {
        edges.set(`${edge.key}:${key}`, {
          dependency: edge.key,
          dependent: key,
          after: links.after ?? 'finished',
          ...(edge.outcome === undefined ? {} : { outcome: edge.outcome }),
        });
        next.push(edge.key);
      }
    if (direction > 0) {
      if (links.dependentCount > links.dependents.length) isTruncated = true;
      for (const edge of links.dependents) {
        edges.set(`${key}:${edge.key}`, {
          dependency: key,
          dependent: edge.key,
          after: edge.after,
          ...(edge.outcome === undefined ? {} : { outcome: edge.outcome }),
        });
        next.push(edge.key);
      }
    }
    return next;
  };
  for (const direction of [-1, 1] as const) {
    let frontier = [root];
    for (let step = 0; step <= depth && frontier.length > 0; step++) {
      const following: string[] = [];
      for (const key of frontier) {
        if (nodes.size >= MAX_GRAPH_NODES && !nodes.has(key)) {
          isTruncated = true;
          break;
        }
        const found = await visit(key, direction * step, direction);
        if (step < depth) following.push(...found.filter((k) => !nodes.has(k)));
        else if (found.some((k) => !nodes.has(k))) isTruncated = true;
      }
      frontier = [...new Set(following)];
    }
  }
  // Edges to tasks left out are dropped, so every edge joins two listed nodes.
  const listed = [...edges.values()].filter(
    (edge) => nodes.has(edge.dependency) && nodes.has(edge.dependent),
  );
  return {
    root,
    nodes: [...nodes.values()],
    edges: listed,
    depth,
    maxNodes: MAX_GRAPH_NODES,
    isTruncated,
  };
}
