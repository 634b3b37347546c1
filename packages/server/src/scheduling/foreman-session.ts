import {
  CONSUMABLE_LIMITS,
  parseServerMessage,
  releaseCapacity,
  takeCapacity,
  type Demand,
  type ForemanOffer,
  type Limits,
  type Logger,
  type ServerMessage,
} from '@kolejka/spec';

/** What a foreman holds: one attempt of a task and what it takes from the capacity. */
export interface HeldTask {
  key: string;
  attempt: number;
  demand: Demand;
  isExclusive: boolean;
  /** `claiming`: the store claim is in flight; `offered`: task:assign sent, no answer yet (the accept timer runs). */
  phase: 'claiming' | 'offered' | 'accepted' | 'running';
  acceptTimer: NodeJS.Timeout | undefined;
}

/**
 * The connection a session talks through (a WebSocket in `foremen/`): the scheduler sends
 * assignments and cancels without knowing the transport.
 */
export interface ForemanLink {
  readonly isOpen: boolean;
  send(text: string): void;
  /** Closes the connection unless it is closed already. */
  close(code: number, reason: string): void;
}

export interface ForemanSessionOptions {
  id: string;
  /** The processor user it connects as. */
  username: string;
  link: ForemanLink;
  tags: string[];
  capacity: Limits;
  version: string;
  logger: Logger;
  /** When it connected (its first heartbeat). */
  now: Date;
}

/**
 * One connected foreman as the scheduler tracks it: what it offers, what it runs, and
 * what is free. Capacity is tracked here (task demands taken at assignment, given back
 * when the task ends), so matching never waits for the foreman to report.
 */
export class ForemanSession {
  readonly held = new Map<string, HeldTask>();
  free: Limits;
  /** Drained by a manager (kept in the foreman record, survives reconnects). */
  isDrained = false;
  /** The foreman itself said it drains (hello `draining`). */
  isSelfDraining = false;
  lastHeartbeatAt: Date;
  isClosed = false;
  readonly id: string;
  readonly username: string;
  readonly tags: string[];
  readonly capacity: Limits;
  readonly version: string;
  readonly logger: Logger;
  private readonly link: ForemanLink;
  private exclusiveHeld = 0;

  constructor(options: ForemanSessionOptions) {
    this.id = options.id;
    this.username = options.username;
    this.link = options.link;
    this.tags = options.tags;
    this.capacity = options.capacity;
    this.version = options.version;
    this.logger = options.logger;
    this.free = { ...options.capacity };
    this.lastHeartbeatAt = options.now;
  }

  /**
   * A quick "certainly does not fit now" before the full matching rule (which also builds
   * reason texts: wasted work for the busy foremen a dispatch passes over).
   */
  lacksRoomFor(limits: Limits): boolean {
    for (const name of CONSUMABLE_LIMITS) {
      const free = this.free[name];
      if (free === undefined) continue;
      const wanted = Math.min(limits[name] ?? Infinity, this.capacity[name] ?? Infinity);
      if (wanted > free) return true;
    }
    return false;
  }

  get mayTakeWork(): boolean {
    return !this.isClosed && !this.isDrained && !this.isSelfDraining;
  }

  offer(): ForemanOffer {
    return {
      tags: this.tags,
      capacity: this.capacity,
      free: this.free,
      runningTasks: this.held.size,
      isRunningExclusive: this.exclusiveHeld > 0,
    };
  }

  hold(task: HeldTask): void {
    this.held.set(task.key, task);
    this.free = takeCapacity(this.free, task.demand);
    if (task.isExclusive) this.exclusiveHeld++;
  }

  /** Gives a task's capacity back; returns it when it was held. */
  drop(key: string): HeldTask | undefined {
    const task = this.held.get(key);
    if (task === undefined) return undefined;
    clearTimeout(task.acceptTimer);
    this.held.delete(key);
    this.free = releaseCapacity(this.free, task.demand);
    if (task.isExclusive) this.exclusiveHeld--;
    return task;
  }

  /** Sends a message after checking it against the spec's schema; false when not sent. */
  send(message: ServerMessage): boolean {
    if (this.isClosed || !this.link.isOpen) return false;
    try {
      parseServerMessage(message);
    } catch (error) {
      this.logger.error('refusing to send an invalid message', {
        type: message.type,
        error: (error as Error).message,
      });
      return false;
    }
    this.link.send(JSON.stringify(message));
    return true;
  }

  close(code: number, reason: string): void {
    for (const task of this.held.values()) clearTimeout(task.acceptTimer);
    this.isClosed = true;
    this.link.close(code, reason);
  }
}
