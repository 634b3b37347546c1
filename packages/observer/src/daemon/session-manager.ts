import {
  assertSchema,
  emptyStats,
  KolejkaError,
  mergeStats,
  noopLogger,
  parseLimits,
  peaksWithoutCounter,
  type Logger,
  type PeakStat,
  type Stats,
} from '@kolejka/spec';
import type { Cgroup, Cgroups } from '../cgroups/cgroups.js';
import { pidStartTime } from '../cgroups/proc.js';
import { setDeadline } from './deadline.js';
import { PEAK_SAMPLE_INTERVAL_MS, PeakSampler } from './peak-sampler.js';
import {
  createSessionCgroup,
  joinCgroup,
  PROCESSES_LEAF,
  sessionParentOf,
} from './processes-leaf.js';
import { newSecret, newSessionId, secretMatches } from './secrets.js';
import { Session, type SessionCloseReason } from './session.js';

export interface SessionManagerOptions {
  cgroups: Cgroups;
  logger?: Logger;
  /** Where /proc is (creator liveness). Default "/proc". */
  procRoot?: string;
  /** A monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
  /** How long stats of closed sessions stay queryable. Default 300000 ms (the original's 5 minutes). */
  closedRetentionMs?: number;
  /** How often abandoned sessions are looked for. Default 1000 ms. Deadlines have their own timers. */
  housekeepingIntervalMs?: number;
  /** How often sessions are read on kernels without memory.peak (5.19) or pids.peak (6.1). Default 100 ms. */
  peakSampleIntervalMs?: number;
}

/** The prefix of session cgroup names, as the original. */
export const SESSION_CGROUP_PREFIX = 'kolejka_observer_';
/** Sessions, their cgroups, deadlines and the stats kept after they close. */
export class SessionManager {
  readonly #cgroups: Cgroups;
  readonly #logger: Logger;
  readonly #procRoot: string;
  readonly #now: () => number;
  readonly #closedRetentionMs: number;
  readonly #housekeepingIntervalMs: number;
  readonly #sessions = new Map<string, Session>();
  /** Cgroups whose removal failed; retried by housekeeping. */
  readonly #leaked = new Set<Cgroup>();
  readonly #peakSampler: PeakSampler<Session>;
  readonly #peakSampleIntervalMs: number;
  #housekeepingTimer: NodeJS.Timeout | undefined;
  #housekeeping: Promise<void> | undefined;
  #isShutDown = false;

  constructor(options: SessionManagerOptions) {
    this.#cgroups = options.cgroups;
    this.#logger = options.logger ?? noopLogger;
    this.#procRoot = options.procRoot ?? '/proc';
    this.#now = options.now ?? (() => performance.now());
    this.#closedRetentionMs = options.closedRetentionMs ?? 300_000;
    this.#housekeepingIntervalMs = options.housekeepingIntervalMs ?? 1000;
    this.#peakSampleIntervalMs = options.peakSampleIntervalMs ?? PEAK_SAMPLE_INTERVAL_MS;
    this.#peakSampler = new PeakSampler(this.#peakSampleIntervalMs, (session) =>
      this.#refreshStats(session),
    );
  }

  /** Starts periodic housekeeping (abandoned sessions, expired stats). */
  start(): void {
    if (this.#housekeepingTimer !== undefined || this.#isShutDown) return;
    this.#housekeepingTimer = setInterval(() => {
      void this.housekeeping();
    }, this.#housekeepingIntervalMs);
    this.#housekeepingTimer.unref();
  }

  /** Sessions that are open now. */
  get openCount(): number {
    let count = 0;
    for (const session of this.#sessions.values()) if (session.isOpen) count += 1;
    return count;
  }

  /** A session by id (open, or closed within the retention time). */
  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** New session under the caller's cgroup; the caller is not moved. */
  async open(callerPid: number): Promise<Session> {
    if (this.#isShutDown)
      throw new KolejkaError('KOLEJKA_UNAVAILABLE', 'the observer is shutting down');
    const parentPath = sessionParentOf(this.#cgroups, await this.#cgroups.pathOfPid(callerPid));
    const id = newSessionId();
    const cgroupPath = joinCgroup(parentPath, `${SESSION_CGROUP_PREFIX}${id}`);
    const creatorStartTime = await pidStartTime(this.#procRoot, callerPid);
    const cgroup = await createSessionCgroup(this.#cgroups, parentPath, cgroupPath, this.#logger);
    const session = new Session({
      id,
      secret: newSecret(),
      creatorPid: callerPid,
      creatorStartTime,
      parentPath,
      cgroup,
      createdAtMs: this.#now(),
      stats: emptyStats(),
    });
    this.#sessions.set(id, session);
    this.#logger.info('session opened', { session: id, pid: callerPid, cgroup: cgroupPath });
    // The first reading tells whether the kernel keeps a memory peak (else it is sampled).
    await this.#refreshStats(session);
    return session;
  }

  /** New session with the caller moved in (`attach` without a session id). */
  async openAttached(callerPid: number): Promise<Session> {
    const session = await this.open(callerPid);
    try {
      await session.cgroup.movePid(callerPid);
    } catch (error) {
      await session.exclusive(() => this.#closeSession(session, 'failed'));
      throw error;
    }
    return session;
  }

  /** Moves the caller into a session; it must be in the session's parent cgroup. */
  async attach(callerPid: number, id: unknown, secret: unknown): Promise<void> {
    const session = this.#authorize(id, secret);
    await session.exclusive(async () => {
      this.#requireOpen(session);
      const callerPath = await this.#cgroups.pathOfPid(callerPid);
      if (callerPath === session.cgroup.path) return;
      if (sessionParentOf(this.#cgroups, callerPath) !== session.parentPath) {
        throw new KolejkaError(
          'KOLEJKA_FORBIDDEN',
          `process ${callerPid} is in cgroup ${callerPath}; only processes in the session's parent cgroup ${session.parentPath} may attach to session ${session.id}`,
        );
      }
      await session.cgroup.movePid(callerPid);
      this.#logger.debug('process attached', { session: session.id, pid: callerPid });
    });
  }

  /** Moves the caller out of a session, back to where sessions' parents keep processes. */
  async detach(callerPid: number, id: unknown, secret: unknown): Promise<void> {
    const session = this.#authorize(id, secret);
    await session.exclusive(async () => {
      this.#requireOpen(session);
      const callerPath = await this.#cgroups.pathOfPid(callerPid);
      const inside = session.cgroup.path;
      if (callerPath !== inside && !callerPath.startsWith(`${inside}/`)) {
        throw new KolejkaError(
          'KOLEJKA_FORBIDDEN',
          `process ${callerPid} is in cgroup ${callerPath}, not in session ${session.id}`,
        );
      }
      const leaf = this.#cgroups.open(joinCgroup(session.parentPath, PROCESSES_LEAF));
      const target =
        this.#cgroups.version === 'v2' && (await leaf.exists())
          ? leaf
          : this.#cgroups.open(session.parentPath);
      await target.movePid(callerPid);
    });
  }

  /** Applies limits; `time` sets the deadline from session creation, its absence clears it. */
  async setLimits(id: unknown, secret: unknown, limitsJson: unknown): Promise<void> {
    const session = this.#authorize(id, secret);
    const json = limitsJson ?? {};
    if (typeof json !== 'object' || Array.isArray(json)) {
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        'limits must be a JSON object such as {"memory": "64M", "time": "1s"}',
      );
    }
    assertSchema('limits', json, 'limits');
    const limits = parseLimits(json);
    await session.exclusive(async () => {
      this.#requireOpen(session);
      await session.cgroup.setLimits(limits);
      this.#setDeadline(session, limits.time);
      this.#logger.debug('session limits set', { session: session.id, limits: json });
    });
  }

  /** Stats of a session, merged with earlier readings; unknown ids get empty stats (no secret needed). */
  async stats(id: unknown): Promise<Stats> {
    if (typeof id !== 'string') {
      throw new KolejkaError('KOLEJKA_VALIDATION', 'stats needs "session_id" (a string)');
    }
    const session = this.#sessions.get(id);
    if (session === undefined) return emptyStats();
    if (!session.isOpen) {
      // A close in progress takes the final reading: wait for it.
      await session.exclusive(() => Promise.resolve());
      return structuredClone(session.stats);
    }
    return structuredClone(await this.#refreshStats(session));
  }

  /**
   * The stats of a session whose value is sampled, not the kernel's peak (Linux before
   * 5.19 / 6.1 on cgroup v2); empty for unknown ids.
   */
  sampledStats(id: unknown): PeakStat[] {
    const session = typeof id === 'string' ? this.#sessions.get(id) : undefined;
    return session === undefined ? [] : [...session.sampledStats];
  }

  async freeze(id: unknown, secret: unknown): Promise<void> {
    const session = this.#authorize(id, secret);
    await session.exclusive(async () => {
      this.#requireOpen(session);
      await session.cgroup.freeze();
    });
  }

  async thaw(id: unknown, secret: unknown): Promise<void> {
    const session = this.#authorize(id, secret);
    await session.exclusive(async () => {
      this.#requireOpen(session);
      await session.cgroup.thaw();
    });
  }

  /** Kills every process of the session (it stays open, thawed). A closed session has none. */
  async kill(id: unknown, secret: unknown): Promise<void> {
    const session = this.#authorize(id, secret);
    await session.exclusive(async () => {
      if (session.isOpen) await session.cgroup.killAll();
    });
  }

  /** Kills, keeps the final stats, removes the cgroup. Closing a closed session is fine. */
  async close(id: unknown, secret: unknown): Promise<void> {
    const session = this.#authorize(id, secret);
    await session.exclusive(() => this.#closeSession(session, 'close'));
  }

  /**
   * Closes sessions past their deadline (a safety net behind the timers) and sessions whose
   * creator is gone and which hold no process; forgets stats past retention; retries
   * removals that failed. Runs every second and on `HEAD`.
   */
  housekeeping(): Promise<void> {
    this.#housekeeping ??= this.#housekeepOnce().finally(() => {
      this.#housekeeping = undefined;
    });
    return this.#housekeeping;
  }

  async #housekeepOnce(): Promise<void> {
    const now = this.#now();
    for (const session of [...this.#sessions.values()]) {
      try {
        if (!session.isOpen) {
          if (now - (session.closedAtMs ?? now) >= this.#closedRetentionMs) {
            this.#sessions.delete(session.id);
          }
          continue;
        }
        if (session.deadlineAtMs !== undefined && session.deadlineAtMs <= now) {
          await session.exclusive(() => this.#closeSession(session, 'deadline'));
        } else if (await this.#isAbandoned(session)) {
          await session.exclusive(() => this.#closeSession(session, 'abandoned'));
        }
      } catch (error) {
        this.#logger.warn('housekeeping failed for a session', { session: session.id, error });
      }
    }
    for (const cgroup of [...this.#leaked]) {
      try {
        await cgroup.remove();
        this.#leaked.delete(cgroup);
      } catch {
        // Still busy: try again on the next round.
      }
    }
  }

  async #isAbandoned(session: Session): Promise<boolean> {
    const startTime = await pidStartTime(this.#procRoot, session.creatorPid);
    if (startTime !== undefined && startTime === session.creatorStartTime) return false;
    return (await session.cgroup.listPids(true)).length === 0;
  }

  /** Closes every session and stops the timers (daemon shutdown). Idempotent. */
  async shutdown(): Promise<void> {
    this.#isShutDown = true;
    this.#peakSampler.stop();
    if (this.#housekeepingTimer !== undefined) clearInterval(this.#housekeepingTimer);
    this.#housekeepingTimer = undefined;
    await Promise.all(
      [...this.#sessions.values()].map((session) =>
        session
          .exclusive(() => this.#closeSession(session, 'shutdown'))
          .catch((error: unknown) => {
            this.#logger.error('session not closed at shutdown', { session: session.id, error });
          }),
      ),
    );
    await this.#housekeeping;
  }

  #authorize(id: unknown, secret: unknown): Session {
    if (typeof id !== 'string' || id === '') {
      throw new KolejkaError('KOLEJKA_VALIDATION', '"session_id" is required (a string)');
    }
    const session = this.#sessions.get(id);
    if (session === undefined) {
      throw new KolejkaError('KOLEJKA_NOT_FOUND', `unknown session ${JSON.stringify(id)}`);
    }
    if (!secretMatches(secret, session.secret)) {
      throw new KolejkaError('KOLEJKA_FORBIDDEN', `wrong or missing "secret" for session ${id}`);
    }
    return session;
  }

  #requireOpen(session: Session): void {
    if (!session.isOpen) {
      throw new KolejkaError(
        'KOLEJKA_NOT_FOUND',
        `session ${session.id} is closed (${session.closeReason ?? 'close'}); only stats and close still answer`,
      );
    }
  }

  #setDeadline(session: Session, timeSeconds: number | undefined): void {
    setDeadline(session, timeSeconds, this.#now, (deadline) => {
      void session
        .exclusive(async () => {
          if (session.isOpen && session.deadlineAtMs === deadline) {
            await this.#closeSession(session, 'deadline');
          }
        })
        .catch((error: unknown) => {
          this.#logger.error('session not closed at its deadline', { session: session.id, error });
        });
    });
  }

  async #refreshStats(session: Session): Promise<Stats> {
    try {
      const reading = await session.cgroup.readStats();
      session.stats = mergeStats(session.stats, reading);
      const unpeaked = peaksWithoutCounter(reading);
      if (session.isOpen && unpeaked.length > 0 && this.#peakSampler.watch(session)) {
        session.sampledStats = unpeaked;
        this.#logger.info('no peak counter in the kernel: the session peaks are sampled', {
          session: session.id,
          stats: unpeaked,
          intervalMs: this.#peakSampleIntervalMs,
        });
      }
    } catch (error) {
      this.#logger.debug('session stats not readable', { session: session.id, error });
    }
    session.stats.time = ((session.closedAtMs ?? this.#now()) - session.createdAtMs) / 1000;
    return session.stats;
  }

  async #closeSession(session: Session, reason: SessionCloseReason): Promise<void> {
    if (!session.isOpen) return;
    if (session.deadlineTimer !== undefined) clearTimeout(session.deadlineTimer);
    session.deadlineTimer = undefined;
    // Closed from here on: no command reaches the session while it is being torn down.
    session.closedAtMs = this.#now();
    session.closeReason = reason;
    try {
      await session.cgroup.killAll();
    } catch (error) {
      this.#logger.warn('session processes not all killed', { session: session.id, error });
    }
    // Peaks and CPU time are read after the kill and before the cgroup disappears.
    await this.#refreshStats(session);
    try {
      await session.cgroup.remove();
    } catch (error) {
      this.#leaked.add(session.cgroup);
      this.#logger.error('session cgroup not removed', { session: session.id, error });
    }
    this.#logger.info('session closed', {
      session: session.id,
      reason,
      timeMs: Math.round(session.closedAtMs - session.createdAtMs),
    });
  }
}
