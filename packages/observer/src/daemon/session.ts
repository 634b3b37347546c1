import type { PeakStat, Stats } from '@kolejka/spec';
import type { Cgroup } from '../cgroups/cgroups.js';

/** Why a session ended; kept with its final stats. */
export type SessionCloseReason = 'close' | 'deadline' | 'abandoned' | 'shutdown' | 'failed';

/** One observer session: a cgroup nested under its creator's cgroup. */
export class Session {
  readonly id: string;
  readonly secret: string;
  readonly creatorPid: number;
  readonly creatorStartTime: number | undefined;
  /** The creator's cgroup when the session was made; processes attach from here. */
  readonly parentPath: string;
  readonly cgroup: Cgroup;
  readonly createdAtMs: number;
  deadlineAtMs: number | undefined;
  deadlineTimer: NodeJS.Timeout | undefined;
  /** Stats merged over every reading (maxima survive the processes that made them). */
  stats: Stats;
  /** Peaks the kernel does not count here: their maximum is sampled (see PeakSampler). */
  sampledStats: PeakStat[] = [];
  closedAtMs: number | undefined;
  closeReason: SessionCloseReason | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(init: {
    id: string;
    secret: string;
    creatorPid: number;
    creatorStartTime: number | undefined;
    parentPath: string;
    cgroup: Cgroup;
    createdAtMs: number;
    stats: Stats;
  }) {
    this.id = init.id;
    this.secret = init.secret;
    this.creatorPid = init.creatorPid;
    this.creatorStartTime = init.creatorStartTime;
    this.parentPath = init.parentPath;
    this.cgroup = init.cgroup;
    this.createdAtMs = init.createdAtMs;
    this.stats = init.stats;
  }

  get isOpen(): boolean {
    return this.closedAtMs === undefined;
  }

  /** Runs `action` after every earlier action on this session (no close during an attach). */
  exclusive<T>(action: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(action, action);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
