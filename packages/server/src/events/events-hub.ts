import {
  KolejkaError,
  noopLogger,
  type EventsServerMessage,
  type EventsSubscribed,
  type Logger,
  type TaskUpdated,
} from '@kolejka/spec';
import { hasPermission, type Principal } from '../accounts/principal.js';
import type { EventFeed } from './event-feed.js';
import type { Store, TaskEvent, TaskRecord } from '../store/store.js';

/** Where a subscriber's messages go: a WebSocket or a Server-Sent Events stream. */
export interface EventSink {
  readonly principal: Principal;
  send(message: EventsServerMessage): void;
  /** Ends the stream (server shutdown). */
  close(): void;
}

export interface EventsHubOptions {
  store: Store;
  feed: EventFeed;
  /** Whether the caller may read the task (owner, read-everything roles, assignee). */
  mayRead: (principal: Principal, task: TaskRecord) => Promise<boolean>;
  logger?: Logger;
  /** How long a subscription waits for the event log to catch up with its snapshot. Default 2000 ms. */
  catchUpTimeoutMs?: number;
}

/** One subscriber: the tasks it follows, and snapshots being taken. */
export class Subscription {
  readonly tasks = new Set<string>();
  isMine = false;
  isAll = false;
  /** Keys whose snapshot is being read: their events wait here, then are sent after it. */
  readonly pending = new Map<string, TaskEvent[]>();
  isClosed = false;

  constructor(readonly sink: EventSink) {}
}

export const resultPath = (key: string): string => `/api/v1/tasks/${key}/result`;

/** The `task:updated` of a task as it is now. */
export function updateOfTask(task: TaskRecord): TaskUpdated {
  return {
    type: 'task:updated',
    key: task.key,
    state: task.state,
    attempt: task.attempt,
    at: task.updatedAt.toISOString(),
    ...(task.reason === undefined ? {} : { reason: task.reason }),
    ...(task.state === 'finished' ? { result: resultPath(task.key) } : {}),
  };
}

/**
 * Tells clients about every state change of the tasks they follow, from the store's event
 * log (so changes made by any server process arrive). A subscription to named tasks first
 * gets each task's current state — also when it finished long ago — so "subscribe, then
 * check" can never miss the end.
 */
export class EventsHub {
  private readonly byTask = new Map<string, Set<Subscription>>();
  private readonly byOwner = new Map<string, Set<Subscription>>();
  /** Subscribers following every task. */
  private readonly everything = new Set<Subscription>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly logger: Logger;
  private isClosed = false;

  constructor(private readonly options: EventsHubOptions) {
    this.logger = options.logger ?? noopLogger;
    options.feed.subscribe((events) => this.onEvents(events));
  }

  /** A new subscriber (nothing followed yet). */
  attach(sink: EventSink): Subscription {
    const sub = new Subscription(sink);
    if (this.isClosed) {
      sink.close();
      sub.isClosed = true;
      return sub;
    }
    this.subscriptions.add(sub);
    return sub;
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** Ends every stream (shutdown); idempotent. */
  close(): void {
    this.isClosed = true;
    for (const sub of [...this.subscriptions]) {
      this.detach(sub);
      sub.sink.close();
    }
  }

  /**
   * Follows tasks the caller may read (the others are `refused`), and/or all its own tasks,
   * and/or every task (KOLEJKA_FORBIDDEN, changing nothing, when it may not read them all).
   */
  async subscribe(
    sub: Subscription,
    request: { tasks?: readonly string[]; mine?: boolean; all?: boolean },
  ): Promise<EventsSubscribed> {
    const { store, feed, mayRead } = this.options;
    if (request.all === true) assertMayFollowAll(sub.sink.principal);
    if (request.all === true && !sub.isAll) {
      sub.isAll = true;
      this.everything.add(sub);
    }
    if (request.mine === true && !sub.isMine) {
      sub.isMine = true;
      add(this.byOwner, sub.sink.principal.username, sub);
    }
    const wanted = [...new Set(request.tasks ?? [])].filter((key) => !sub.tasks.has(key));
    // Registered before the snapshot is read: nothing that happens meanwhile is lost.
    for (const key of wanted) {
      sub.pending.set(key, []);
      add(this.byTask, key, sub);
    }
    const refused: string[] = [];
    const snapshots: TaskRecord[] = [];
    for (const key of wanted) {
      const task = await store.getTask(key);
      if (task === undefined || !(await mayRead(sub.sink.principal, task))) {
        refused.push(key);
        sub.pending.delete(key);
        remove(this.byTask, key, sub);
      } else {
        sub.tasks.add(key);
        snapshots.push(task);
      }
    }
    const subscribed: EventsSubscribed = {
      type: 'events:subscribed',
      tasks: [...sub.tasks],
      mine: sub.isMine,
      all: sub.isAll,
      refused,
    };
    sub.sink.send(subscribed);
    this.logger.debug('events subscribed', {
      user: sub.sink.principal.username,
      tasks: sub.tasks.size,
      mine: sub.isMine,
      all: sub.isAll,
      refused: refused.length,
    });
    if (snapshots.length > 0) {
      // Every event the snapshots may reflect must be in the buffers before they are sorted out.
      const seq = await store.lastEventSeq();
      await Promise.race([
        feed.reached(seq),
        new Promise((resolve) => setTimeout(resolve, this.options.catchUpTimeoutMs ?? 2000)),
      ]);
      for (const task of snapshots) this.flush(sub, task);
    }
    return subscribed;
  }

  unsubscribe(
    sub: Subscription,
    request: { tasks?: readonly string[]; mine?: boolean; all?: boolean },
  ): void {
    for (const key of request.tasks ?? []) {
      sub.tasks.delete(key);
      sub.pending.delete(key);
      remove(this.byTask, key, sub);
    }
    if (request.mine === true && sub.isMine) {
      sub.isMine = false;
      remove(this.byOwner, sub.sink.principal.username, sub);
    }
    if (request.all === true && sub.isAll) {
      sub.isAll = false;
      this.everything.delete(sub);
    }
    sub.sink.send({
      type: 'events:subscribed',
      tasks: [...sub.tasks],
      mine: sub.isMine,
      all: sub.isAll,
      refused: [],
    });
  }

  /** The subscriber went away. */
  detach(sub: Subscription): void {
    sub.isClosed = true;
    this.subscriptions.delete(sub);
    for (const key of sub.tasks) remove(this.byTask, key, sub);
    for (const key of sub.pending.keys()) remove(this.byTask, key, sub);
    if (sub.isMine) remove(this.byOwner, sub.sink.principal.username, sub);
    this.everything.delete(sub);
    sub.tasks.clear();
    sub.pending.clear();
  }

  /** Sends the snapshot, then the buffered events it does not already reflect. */
  private flush(sub: Subscription, task: TaskRecord): void {
    const buffered = sub.pending.get(task.key);
    if (sub.isClosed || buffered === undefined) return;
    // Each transition sets updatedAt to its event's time: the last buffered event equal to
    // the snapshot is where the snapshot stands; the ones after it are newer.
    let next = 0;
    for (let i = buffered.length - 1; i >= 0; i--) {
      const event = buffered[i];
      if (
        event !== undefined &&
        event.isDeleted !== true &&
        event.state === task.state &&
        event.attempt === task.attempt &&
        event.at.getTime() === task.updatedAt.getTime()
      ) {
        next = i + 1;
        break;
      }
    }
    sub.sink.send(updateOfTask(task));
    for (let event = buffered[next]; event !== undefined; event = buffered[++next])
      this.deliver([sub], event);
    sub.pending.delete(task.key);
  }

  private onEvents(events: readonly TaskEvent[]): void {
    for (const event of events) {
      const subs = new Set(this.byTask.get(event.taskKey));
      for (const sub of this.byOwner.get(event.owner) ?? []) subs.add(sub);
      for (const sub of this.everything) subs.add(sub);
      if (subs.size === 0) continue;
      const ready: Subscription[] = [];
      for (const sub of subs) {
        const buffer = sub.pending.get(event.taskKey);
        if (buffer !== undefined) buffer.push(event);
        else ready.push(sub);
      }
      if (ready.length > 0) this.deliver(ready, event);
      if (event.isDeleted === true)
        for (const sub of this.byTask.get(event.taskKey) ?? []) sub.tasks.delete(event.taskKey);
      if (event.isDeleted === true) this.byTask.delete(event.taskKey);
    }
  }

  private deliver(subs: readonly Subscription[], event: TaskEvent): void {
    const update: TaskUpdated = {
      type: 'task:updated',
      key: event.taskKey,
      state: event.state,
      attempt: event.attempt,
      at: event.at.toISOString(),
    };
    if (event.isDeleted === true) update.deleted = true;
    else if (event.state === 'finished') update.result = resultPath(event.taskKey);
    if (event.reason !== undefined && (event.state === 'failed' || event.state === 'cancelled'))
      update.reason = event.reason;
    for (const sub of subs) if (!sub.isClosed) sub.sink.send(update);
  }
}

/** Only callers who may read every task follow them all (the SSE route checks before streaming). */
export function assertMayFollowAll(principal: Principal): void {
  if (!hasPermission(principal, 'task:read-any'))
    throw new KolejkaError(
      'KOLEJKA_FORBIDDEN',
      `User ${JSON.stringify(principal.username)} may not follow every task (roles: ${principal.roles.join(', ') || 'none'}); follow named tasks or your own (mine)`,
      { details: { permission: 'task:read-any' } },
    );
}

function add<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(value);
}

function remove<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
