import type { MemoryEventCounts, MemoryEvents } from '@kolejka/observer';

/**
 * The task's own memory events (its limit hit, the OOM killer run for it), without its
 * sessions'. On cgroup v2 `memory.events` counts a cgroup's whole subtree, so a judge whose
 * session was OOM-killed would read as OOM-killed itself; `memory.events.local` counts the
 * container's cgroup alone. That cgroup is sampled while the container runs, but Docker
 * deletes it before it reports the stop, so an event just before the exit may be missed
 * there. The parent cgroup outlives it and its subtree counts everything below: the task's
 * events plus its sessions', which the samples know (the container's subtree minus its own).
 */
export function taskMemoryEvents(
  sampled: MemoryEvents | undefined,
  parent: MemoryEvents | undefined,
): MemoryEventCounts {
  const own = sampled?.own ?? { max: 0, oom: 0, oomKill: 0 };
  if (parent === undefined) return own;
  const field = (name: keyof MemoryEventCounts): number => {
    const sessions = sampled === undefined ? 0 : sampled.subtree[name] - sampled.own[name];
    return Math.max(own[name], parent.subtree[name] - sessions);
  };
  return { max: field('max'), oom: field('oom'), oomKill: field('oomKill') };
}

/** Field by field the larger: counters only grow, but reads of a subtree are not atomic. */
export function laterMemoryEvents(
  a: MemoryEvents | undefined,
  b: MemoryEvents | undefined,
): MemoryEvents | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const max = (x: MemoryEventCounts, y: MemoryEventCounts): MemoryEventCounts => ({
    max: Math.max(x.max, y.max),
    oom: Math.max(x.oom, y.oom),
    oomKill: Math.max(x.oomKill, y.oomKill),
  });
  return {
    own: max(a.own, b.own),
    subtree: max(a.subtree, b.subtree),
    isOwnExact: a.isOwnExact && b.isOwnExact,
  };
}
