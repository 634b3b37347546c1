import type { GraphView } from '../api/types.js';
import { shortKey } from './format.js';

const NODE_W = 112;
const NODE_H = 34;
const GAP_X = 48;
const GAP_Y = 14;

/**
 * Dependencies to the left of the task, dependents to the right, one column per step
 * (the graph's signed `distance`). Every node links to its task page.
 */
export function TaskGraph({ graph }: { graph: GraphView }) {
  const columns = new Map<number, GraphView['nodes']>();
  for (const node of graph.nodes)
    columns.set(node.distance, [...(columns.get(node.distance) ?? []), node]);
  const distances = [...columns.keys()].sort((a, b) => a - b);
  const tallest = Math.max(...[...columns.values()].map((nodes) => nodes.length));
  const width = distances.length * (NODE_W + GAP_X) - GAP_X;
  const height = tallest * (NODE_H + GAP_Y) - GAP_Y;
  const place = new Map<string, { x: number; y: number }>();
  distances.forEach((distance, column) => {
    const nodes = columns.get(distance) ?? [];
    const top = (height - (nodes.length * (NODE_H + GAP_Y) - GAP_Y)) / 2;
    nodes.forEach((node, row) =>
      place.set(node.key, { x: column * (NODE_W + GAP_X), y: top + row * (NODE_H + GAP_Y) }),
    );
  });
  return (
    <figure class="graph">
      <svg
        viewBox={`-2 -2 ${width + 4} ${height + 4}`}
        width={width + 4}
        role="img"
        aria-label={`Dependency graph: ${graph.nodes.length} tasks, ${graph.edges.length} links`}
      >
        {graph.edges.map((edge) => {
          const from = place.get(edge.dependency);
          const to = place.get(edge.dependent);
          if (from === undefined || to === undefined) return null;
          return (
            <line
              key={`${edge.dependency}:${edge.dependent}`}
              class={`edge edge-${edge.outcome ?? 'open'}`}
              x1={from.x + NODE_W}
              y1={from.y + NODE_H / 2}
              x2={to.x}
              y2={to.y + NODE_H / 2}
            />
          );
        })}
        {graph.nodes.map((node) => {
          const at = place.get(node.key)!;
          return (
            <a
              key={node.key}
              href={`/ui/tasks/${node.key}`}
              aria-label={`Task ${node.key}, ${node.state ?? 'not visible'}`}
            >
              <rect
                class={`node node-${node.state ?? 'hidden'}${node.key === graph.root ? ' node-root' : ''}`}
                x={at.x}
                y={at.y}
                width={NODE_W}
                height={NODE_H}
                rx={5}
              />
              <text x={at.x + 8} y={at.y + 14}>
                {shortKey(node.key)}
              </text>
              <text x={at.x + 8} y={at.y + 28} class="node-state">
                {node.state ?? '(hidden)'}
              </text>
            </a>
          );
        })}
      </svg>
      <figcaption>
        Dependencies on the left, dependents on the right
        {graph.isTruncated ? ' (more not shown)' : ''}.
      </figcaption>
    </figure>
  );
}
