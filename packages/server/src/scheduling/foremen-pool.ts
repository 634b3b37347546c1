import type { TaskRequirements } from '@kolejka/spec';
import type { ForemanRecord } from '../store/store.js';
import type { ForemanSession } from './foreman-session.js';
import {
  clusterForemanOf,
  clusterSignature,
  unschedulableReason,
  type ClusterForeman,
} from './schedulability.js';

/**
 * The foremen the scheduler matches against: the sessions connected to this process (which
 * get work), and the online foremen of the whole system (which decide whether a task can
 * ever run). `onClusterChange` hears when what the system can run may have changed.
 */
export class ForemenPool {
  private readonly sessions = new Map<string, ForemanSession>();
  private remote: ClusterForeman[] = [];
  private signature = '[]';
  private cluster: ClusterForeman[] = [];
  private version = 0;

  constructor(private readonly onClusterChange: () => void) {}

  /** Bumped whenever the system's foremen change (shapes are judged against a version). */
  get clusterVersion(): number {
    return this.version;
  }

  local(id: string): ForemanSession | undefined {
    return this.sessions.get(id);
  }

  /** Foremen here that may get new work now. */
  available(): ForemanSession[] {
    const list: ForemanSession[] = [];
    for (const session of this.sessions.values()) if (session.mayTakeWork) list.push(session);
    return list;
  }

  add(session: ForemanSession): void {
    this.sessions.set(session.id, session);
    this.update();
  }

  /** Removes the session unless a newer one of the same foreman took its place. */
  remove(session: ForemanSession): boolean {
    if (this.sessions.get(session.id) !== session) return false;
    this.sessions.delete(session.id);
    this.update();
    return true;
  }

  /** The online foremen connected to other server processes (from the store's records). */
  setRemote(records: readonly ForemanRecord[]): void {
    this.remote = records.map(clusterForemanOf);
    this.update();
  }

  unschedulableReason(requirements: TaskRequirements): string | undefined {
    return unschedulableReason(requirements, this.cluster);
  }

  private update(): void {
    const local = [...this.sessions.values()].map((session) => ({
      id: session.id,
      tags: session.tags,
      capacity: session.capacity,
    }));
    const cluster = [...local, ...this.remote.filter((f) => !this.sessions.has(f.id))];
    cluster.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const signature = clusterSignature(cluster);
    if (signature === this.signature) return;
    this.signature = signature;
    this.cluster = cluster;
    this.version++;
    this.onClusterChange();
  }
}
