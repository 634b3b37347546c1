import { matchTask, parseLimits, type Limits, type TaskRequirements } from '@kolejka/spec';
import type { ForemanRecord } from '../store/store.js';

/** An online foreman of the whole system (any server process), as matching needs it. */
export interface ClusterForeman {
  id: string;
  tags: readonly string[];
  capacity: Limits;
}

export function clusterForemanOf(record: ForemanRecord): ClusterForeman {
  return { id: record.id, tags: record.tags, capacity: parseLimits(record.capacity) };
}

/** A stable text of the foremen list, to notice when it changed. */
export function clusterSignature(foremen: readonly ClusterForeman[]): string {
  return JSON.stringify(foremen.map((f) => [f.id, f.tags, f.capacity]));
}

const SHOWN_REASONS = 3;

/**
 * Why no online foreman can EVER run tasks with these requirements (tags, caps, total
 * capacity), or undefined when one can (maybe later, when it has room) — and undefined when
 * no foreman is online at all: then nothing is known about what will connect.
 */
export function unschedulableReason(
  requirements: TaskRequirements,
  foremen: readonly ClusterForeman[],
): string | undefined {
  if (foremen.length === 0) return undefined;
  // Distinct reasons only, without foreman names or counts: the text changes (and is
  // written to the queued tasks again) only when what stands in the way changes.
  const reasons = new Set<string>();
  for (const foreman of foremen) {
    const match = matchTask(requirements, {
      tags: foreman.tags,
      capacity: foreman.capacity,
      free: foreman.capacity,
      runningTasks: 0,
    });
    if (match.fits || !match.isPermanent) return undefined;
    reasons.add(match.reason);
  }
  const listed = [...reasons].sort();
  const shown = listed.slice(0, SHOWN_REASONS).join('; ');
  const more = listed.length > SHOWN_REASONS ? `; and ${listed.length - SHOWN_REASONS} more` : '';
  return `no connected foreman can ever run it (${shown}${more})`;
}
