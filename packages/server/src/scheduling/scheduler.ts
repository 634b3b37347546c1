import { randomUUID } from 'node:crypto';
import { dumpLimits, matchTask, noopLogger, type Logger, type Match } from '@kolejka/spec';
import type { EventFeed } from '../events/event-feed.js';
import type { ServerSettings } from '../server-settings.js';
import type { Store, TaskEvent } from '../store/store.js';
import { attemptOutcome } from './attempt-outcome.js';
import type { ForemanSession, HeldTask } from './foreman-session.js';
import { ForemenPool } from './foremen-pool.js';
import { startLeaseReaper, type LeaseReaper } from './lease-reaper.js';
import { QueuePauses } from './queue-pauses.js';
import { QueueIndex, type QueuedTask, type Shape } from './queue-index.js';
import { RunningLimits } from './running-limits.js';
import { RejectionBackoff } from './rejection-backoff.js';

export interface SchedulerOptions {
  store: Store;
  /** The store's event log, followed from the queue's snapshot on (started by `start`). */
  feed: EventFeed;
  settings: Pick<ServerSettings, 'leaseMs' | 'leaseSweepIntervalMs' | 'assignTimeoutMs'>;
  logger?: Logger;
  clock?: () => Date;
  /** This process's id, for logs. Default: a random one. */
  serverId?: string;
}

/** How often users' weights and limits are read again (they change rarely, by an admin). */
const USER_POLICY_POLL_MS = 2000;

/** Claims issued before a dispatch pass waits for them (and so yields to I/O). */
const ASSIGNMENTS_PER_TURN = 64;

/**
 * The push scheduler of one server process. It keeps an in-memory index of queued tasks
 * (rebuilt from the store at start, then fed by the store's event log, which also tells it
 * what other server processes did) and the foremen connected to THIS process with their
 * free capacity. Whenever a task is queued or capacity frees up it matches shape heads
 * against its foremen (spec `matchTask`) and claims each choice atomically in the store, so
 * several processes on one store never assign a task twice.
 */
export class Scheduler {
  readonly serverId: string;
  /** The foremen matched against (sessions join and leave it through `foremen/`). */
  readonly foremen = new ForemenPool(() => this.foremenChanged());
  readonly index = new QueueIndex({ isHeld: (owner) => this.runningLimits.isAtLimit(owner) });
  /** Queue control (issue 12): users' assigned/running tasks against their maxRunning. */
  readonly runningLimits = new RunningLimits((owner) => {
    if (this.index.release(owner)) this.capacityFreed();
  });
  private userPolicyTimer: NodeJS.Timeout | undefined;
  /** Queue control (issue 12): the pauses in the store, which hold assignment. */
  readonly pauses: QueuePauses;
  private readonly store: Store;
  private readonly settings: SchedulerOptions['settings'];
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly feed: EventFeed;
  /** Tasks held by foremen connected here: key → session. */
  private readonly holders = new Map<string, ForemanSession>();
  private readonly backoff: RejectionBackoff;
  /** Bumped whenever capacity frees up or foremen change: shapes blocked before get another look. */
  private capacityEpoch = 0;
  private isDispatching = false;
  private rotation = 0;
  private isDispatchRequested = false;
  private isStarted = false;
  private isClosed = false;
  private reaper: LeaseReaper | undefined;
  private dispatching: Promise<void> | undefined;

  constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.settings = options.settings;
    this.logger = options.logger ?? noopLogger;
    this.clock = options.clock ?? (() => new Date());
    this.serverId = options.serverId ?? `server-${randomUUID().slice(0, 8)}`;
    this.feed = options.feed;
    this.feed.subscribe((events) => this.onEvents(events));
    this.backoff = new RejectionBackoff((key) => void this.readmit(key));
    this.pauses = new QueuePauses(
      this.store,
      () => this.capacityFreed(),
      this.logger.child({ component: 'pauses' }),
    );
  }

  /** Reads the queue, then follows the event log; starts lease expiry. */
  async start(): Promise<void> {
    if (this.isStarted || this.isClosed) return;
    this.isStarted = true;
    await this.pauses.start();
    await this.startUserPolicies();
    const seq = await this.store.lastEventSeq();
    let after: { priority: number; createdAt: Date; key: string } | undefined;
    for (;;) {
      const page = await this.store.listQueuedTasks(10_000, after);
      for (const task of page) this.index.add(task);
      const last = page[page.length - 1];
      if (last === undefined || page.length < 10_000) break;
      after = { priority: last.priority, createdAt: last.createdAt, key: last.key };
    }
    this.feed.start(seq);
    this.reaper = startLeaseReaper({
      store: this.store,
      intervalMs: this.settings.leaseSweepIntervalMs,
      clock: this.clock,
      logger: this.logger.child({ component: 'leases' }),
    });
    this.logger.info('scheduler started', { serverId: this.serverId, queued: this.index.size });
  }

  /** Idempotent: stops the loops (the foreman connections are `foremen/`'s to close). */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.backoff.close();
    clearInterval(this.userPolicyTimer);
    await Promise.all([
      this.feed.close(),
      this.reaper?.close(),
      this.pauses.close(),
      this.dispatching,
    ]);
  }

  get isRunning(): boolean {
    return this.isStarted && !this.isClosed;
  }

  // Fair share and per-user limits (issue 12) ------------------------------------------------

  /**
   * Users' weights and maxRunning are read now and then every USER_POLICY_POLL_MS (an admin
   * change reaches every server process within that; the process that made it refreshes at
   * once), and the tasks already assigned or running are counted against the limits.
   */
  private async startUserPolicies(): Promise<void> {
    await this.refreshUserPolicies();
    let cursor: string | undefined;
    do {
      const page = await this.store.listTasks({ states: ['assigned', 'running'] }, 1000, cursor);
      for (const task of page.items) this.runningLimits.hold(task.owner, task.key);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    this.userPolicyTimer = setInterval(() => void this.refreshUserPolicies(), USER_POLICY_POLL_MS);
    this.userPolicyTimer.unref();
  }

  /** Reads every user's weight and maxRunning from the store. */
  async refreshUserPolicies(): Promise<void> {
    try {
      const users = await this.store.listUsers();
      const weights = new Map<string, number>();
      const limits = new Map<string, number>();
      for (const user of users) {
        if (user.weight !== undefined) weights.set(user.username, user.weight);
        if (user.maxRunning !== undefined) limits.set(user.username, user.maxRunning);
      }
      this.index.fairShare.setWeights(weights);
      this.runningLimits.setLimits(limits);
    } catch (error) {
      this.logger.warn('could not read user weights and limits', { error: String(error) });
    }
  }

  // Capacity and holdings ----------------------------------------------------------------------

  /** A foreman holds a task (kept after a reconnect, or being assigned). */
  hold(session: ForemanSession, task: HeldTask): void {
    session.hold(task);
    this.holders.set(task.key, session);
  }

  /** The task no longer runs on that foreman: its capacity is free again. */
  free(session: ForemanSession, key: string): HeldTask | undefined {
    const task = session.drop(key);
    if (task === undefined) return undefined;
    if (this.holders.get(key) === session) this.holders.delete(key);
    this.capacityFreed();
    return task;
  }

  /** Forgets every task of a closed session (their leases stay in the store until they expire). */
  forget(session: ForemanSession): void {
    for (const key of [...session.held.keys()]) {
      session.drop(key);
      if (this.holders.get(key) === session) this.holders.delete(key);
    }
  }

  capacityFreed(): void {
    this.capacityEpoch++;
    this.requestDispatch();
  }

  /** The set of foremen or what they can ever run changed: every shape is looked at again. */
  foremenChanged(): void {
    for (const shape of this.index.shapes()) this.checkSchedulable(shape);
    this.capacityFreed();
  }

  /**
   * A foreman turned a task down: it goes back to the queue and sits out a backoff here.
   * Returns how many counted rejections the task has had (see MAX_REJECTIONS).
   */
  parkRejected(key: string, isCounted = true): number {
    this.index.remove(key);
    return this.backoff.park(key, isCounted);
  }

  // Dispatch -----------------------------------------------------------------------------------

  requestDispatch(): void {
    if (!this.isRunning) return;
    if (this.isDispatching) {
      this.isDispatchRequested = true;
      return;
    }
    this.isDispatching = true;
    this.dispatching = (async () => {
      try {
        do {
          this.isDispatchRequested = false;
          await this.dispatchPass();
        } while (this.isDispatchRequested && this.isRunning);
      } catch (error) {
        this.logger.error('dispatch failed', { error: String(error) });
      } finally {
        this.isDispatching = false;
      }
    })();
  }

  /**
   * Assigns shape heads, best first, until no local foreman can take any of them. Each
   * choice takes its capacity at once and its claim is issued without waiting for the one
   * before, so the claims of a pass share one store transaction (the SQLite group commit);
   * the pass waits for them every ASSIGNMENTS_PER_TURN, which also lets I/O in.
   */
  private async dispatchPass(): Promise<void> {
    let claims: Promise<void>[] = [];
    while (this.isRunning && !this.pauses.isQueuePaused) {
      const available = this.foremen.available();
      if (available.length === 0) break;
      const heads: QueuedTask[] = [];
      for (const shape of this.index.shapes()) {
        if (shape.blockedAtEpoch === this.capacityEpoch) continue;
        if (shape.unschedulableReason !== undefined) continue;
        if (this.pauses.holds(shape.requirements.requires)) continue;
        const head = this.index.head(shape);
        if (head !== undefined) heads.push(head);
      }
      if (heads.length === 0) break;
      heads.sort((a, b) => (this.index.runsFirst(a, b) ? -1 : 1));
      let assigned: QueuedTask | undefined;
      for (const head of heads) {
        const pick = this.pick(head.shape, available);
        if (pick === undefined) {
          head.shape.blockedAtEpoch = this.capacityEpoch;
          continue;
        }
        assigned = head;
        claims.push(this.assign(head, pick.session, pick.match));
        break;
      }
      if (assigned === undefined) break;
      if (claims.length >= ASSIGNMENTS_PER_TURN) {
        await Promise.all(claims);
        claims = [];
      }
    }
    await Promise.all(claims);
  }

  private pick(
    shape: Shape,
    available: readonly ForemanSession[],
  ): { session: ForemanSession; match: Extract<Match, { fits: true }> } | undefined {
    // First fit from a rotating start: work spreads over the foremen instead of piling on
    // the first one, at the cost of one fit check in the common case.
    const start = this.rotation++ % available.length;
    for (let i = 0; i < available.length; i++) {
      const session = available[(start + i) % available.length];
      if (session === undefined || session.lacksRoomFor(shape.requirements.limits)) continue;
      const match = matchTask(shape.requirements, session.offer());
      if (match.fits) return { session, match };
    }
    return undefined;
  }

  private async assign(
    head: QueuedTask,
    session: ForemanSession,
    match: Extract<Match, { fits: true }>,
  ): Promise<void> {
    const key = head.key;
    this.index.take(key);
    this.runningLimits.hold(head.owner, key);
    const now = this.clock();
    const leaseExpiresAt = new Date(now.getTime() + this.settings.leaseMs);
    const held: HeldTask = {
      key,
      attempt: 0,
      demand: match.demand,
      isExclusive: head.shape.requirements.exclusive === true,
      phase: 'claiming',
      acceptTimer: undefined,
    };
    // Capacity is taken before the claim so that nothing else is matched against it meanwhile.
    this.hold(session, held);
    let claimed;
    let isFailed = false;
    try {
      claimed = await this.store.claimTask(key, { assignee: session.id, leaseExpiresAt, now });
    } catch (error) {
      isFailed = true;
      this.logger.warn('claim failed', { task: key, error: (error as Error).message });
    }
    if (claimed === undefined) {
      this.runningLimits.drop(head.owner, key);
      session.drop(key);
      if (this.holders.get(key) === session) this.holders.delete(key);
      // The store failed: the task (still queued there) is offered again after a pause.
      if (isFailed) this.backoff.park(key);
      // Someone else won it (another server process, a cancel): nothing to undo in the
      // store; the capacity set aside for it may go to another task.
      else this.capacityFreed();
      return;
    }
    held.attempt = claimed.attempt;
    const attempt = claimed.attempt;
    const isSent =
      this.holders.get(key) === session &&
      session.send({
        type: 'task:assign',
        key,
        attempt,
        leaseExpiresAt: leaseExpiresAt.toISOString(),
        task: claimed.spec,
        limits: dumpLimits(match.limits),
      });
    if (!isSent) {
      // The foreman went away during the claim: the task goes straight back.
      this.free(session, key);
      await this.store.releaseTask(key, attempt, this.clock()).catch(() => undefined);
      return;
    }
    held.phase = 'offered';
    held.acceptTimer = setTimeout(
      () => void this.acceptTimedOut(session, key, attempt),
      this.settings.assignTimeoutMs,
    );
    held.acceptTimer.unref();
    session.logger.debug('task assigned', { task: key, attempt });
  }

  /** The foreman did not answer an assignment in time: back to the queue. */
  private async acceptTimedOut(session: ForemanSession, key: string, attempt: number) {
    const held = session.held.get(key);
    if (held?.attempt !== attempt || held.phase !== 'offered') return;
    held.acceptTimer = undefined;
    this.free(session, key);
    session.send({
      type: 'task:cancel',
      key,
      attempt,
      reason: `not accepted within ${this.settings.assignTimeoutMs} ms`,
    });
    session.logger.warn('assignment not accepted in time', { task: key, attempt });
    await this.store
      .releaseTask(key, attempt, this.clock())
      .catch((error: unknown) => session.logger.warn('release failed', { error: String(error) }));
  }

  // The event log ------------------------------------------------------------------------------

  private async onEvents(events: readonly TaskEvent[]): Promise<void> {
    let isQueueGrown = false;
    for (const event of events) {
      const key = event.taskKey;
      this.runningLimits.follow(event);
      this.checkHolder(event);
      if (event.state !== 'queued' || event.isDeleted === true) {
        this.index.remove(key);
        if (event.isDeleted === true || event.state !== 'assigned') this.backoff.forget(key);
        continue;
      }
      if (this.backoff.isParked(key)) continue;
      // Queue control (issue 12): a queued event of a task already indexed is a change of
      // its place (a new priority, a move): it is read again and re-placed.
      if (this.index.has(key)) {
        if (await this.replace(key)) isQueueGrown = true;
        continue;
      }
      if (await this.admit(key)) isQueueGrown = true;
    }
    if (isQueueGrown) this.requestDispatch();
  }

  /** Reads a task that was queued and adds it to the index when it still is. */
  private async admit(key: string): Promise<boolean> {
    const task = await this.store.getTask(key);
    if (task?.state !== 'queued' || this.index.has(key)) return false;
    const added = this.index.add(task);
    if (added === undefined) return false;
    const shape = added.entry.shape;
    if (added.isNewShape) this.checkSchedulable(shape);
    else if (shape.unschedulableReason !== undefined)
      await this.store.setQueuedReason([key], shape.unschedulableReason);
    return true;
  }

  /** Re-reads an indexed task and puts it back at its (changed) place. */
  private async replace(key: string): Promise<boolean> {
    const task = await this.store.getTask(key);
    const entry = this.index.get(key);
    if (entry === undefined) return false;
    if (task?.state !== 'queued') {
      this.index.remove(key);
      return false;
    }
    if (entry.priority === task.priority && entry.order === (task.queueOrder ?? entry.createdAtMs))
      return false;
    this.index.remove(key);
    return this.admit(key);
  }

  private async readmit(key: string): Promise<void> {
    if (!this.isRunning) return;
    try {
      if (await this.admit(key)) this.requestDispatch();
    } catch (error) {
      this.logger.warn('could not requeue a rejected task', { task: key, error: String(error) });
    }
  }

  /**
   * A local foreman's task changed in the store (by anyone): when its attempt is over —
   * cancelled, failed, lost, superseded — the foreman is told to stop and its capacity is
   * free. Events older than the attempt it holds are ignored.
   */
  private checkHolder(event: TaskEvent): void {
    const session = this.holders.get(event.taskKey);
    const held = session?.held.get(event.taskKey);
    if (session === undefined || held === undefined) return;
    const outcome = attemptOutcome(event, held, session.id);
    if (outcome === undefined) return;
    this.free(session, event.taskKey);
    if (outcome.isFinished) return;
    session.send({
      type: 'task:cancel',
      key: event.taskKey,
      attempt: held.attempt,
      reason: outcome.reason,
    });
    session.logger.info('task withdrawn from foreman', {
      task: event.taskKey,
      reason: outcome.reason,
    });
  }

  /** Decides (against every online foreman of the system) whether a shape can ever run. */
  checkSchedulable(shape: Shape): void {
    const version = this.foremen.clusterVersion;
    if (shape.checkedAtForemenVersion === version) return;
    shape.checkedAtForemenVersion = version;
    const reason = this.foremen.unschedulableReason(shape.requirements);
    if (reason === shape.unschedulableReason) return;
    const wasUnschedulable = shape.unschedulableReason !== undefined;
    shape.unschedulableReason = reason;
    const keys = this.index.keysOf(shape);
    if (reason !== undefined && !wasUnschedulable)
      this.logger.warn('tasks fit no connected foreman', { tasks: keys.length, reason });
    void this.store.setQueuedReason(keys, reason).catch((error: unknown) => {
      this.logger.warn('could not note why tasks wait', { error: String(error) });
    });
  }
}
