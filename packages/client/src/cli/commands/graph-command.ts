import type { Argv } from 'yargs';
import type { TaskGraph, TaskGraphNode } from '../../graph/graph-operations.js';
import type { Runner } from '../runner.js';
import type { GlobalArgs } from '../session.js';
import { keyArg } from './positionals.js';

/** The graph as an indented tree: dependencies above the task, dependents below. */
export function formatGraph(graph: TaskGraph): string {
  const nodes = new Map(graph.nodes.map((node) => [node.key, node]));
  const label = (node: TaskGraphNode | undefined, key: string): string => {
    if (node?.state === undefined) return `${key} (not visible)`;
    const parts = [key, node.state];
    if (node.after !== undefined) parts.push(`after ${node.after}`);
    if (node.reason !== undefined) parts.push(`— ${node.reason}`);
    return parts.join('  ');
  };
  const lines: string[] = [];
  const walk = (key: string, direction: 1 | -1, indent: string, seen: Set<string>): void => {
    const next = graph.edges
      .filter((edge) => (direction > 0 ? edge.dependency === key : edge.dependent === key))
      .map((edge) => (direction > 0 ? edge.dependent : edge.dependency));
    for (const child of next) {
      lines.push(`${indent}${direction > 0 ? '└▶ ' : '◀─ '}${label(nodes.get(child), child)}`);
      if (!seen.has(child)) walk(child, direction, `${indent}   `, new Set([...seen, child]));
    }
  };
  lines.push('dependencies:');
  walk(graph.root, -1, '  ', new Set([graph.root]));
  lines.push(`task: ${label(nodes.get(graph.root), graph.root)}`);
  lines.push('dependents:');
  walk(graph.root, 1, '  ', new Set([graph.root]));
  if (graph.isTruncated)
    lines.push(`(truncated: at most ${graph.maxNodes} tasks, ${graph.depth} steps each way)`);
  return lines.join('\n');
}

export function graphCommand(run: Runner) {
  return {
    command: 'graph <key>',
    describe:
      'Show a task with its dependencies and dependents (states, after policies, why a task was cancelled)',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs.positional('key', keyArg).option('depth', {
        type: 'number',
        describe: 'Steps each way (server default 3, at most 20)',
      }),
    handler: (argv: GlobalArgs & { key: string; depth?: number }) =>
      run(argv, async (session) => {
        const client = await session.client();
        const graph = await client.getGraph(argv.key, {
          signal: session.io.signal,
          ...(argv.depth === undefined ? {} : { depth: argv.depth }),
        });
        session.output.value(formatGraph(graph), graph);
      }),
  };
}
