import type { ProtocolError } from './foreman-messages.js';
import type { TaskState } from '../task-state.js';

/**
 * The client events channel (`GET /api/v1/events`, a WebSocket; the same `task:updated`
 * objects are sent as Server-Sent Events for curl users). Clients subscribe to tasks they
 * may read and are told of every state change, so nobody has to poll for results.
 */

export interface EventsSubscribe {
  type: 'events:subscribe';
  /** Task keys to follow. */
  tasks?: string[];
  /** Follow every task of the caller, present and future. */
  mine?: boolean;
  /**
   * Follow every task of everybody, present and future (no snapshot). Only for callers who may
   * read every task (inspectors, managers, admins); others get an `error` KOLEJKA_FORBIDDEN.
   */
  all?: boolean;
}

export interface EventsUnsubscribe {
  type: 'events:unsubscribe';
  tasks?: string[];
  mine?: boolean;
  all?: boolean;
}

export type EventsClientMessage = EventsSubscribe | EventsUnsubscribe;

/** Confirms a subscription; tasks the caller may not read are listed in `refused`. */
export interface EventsSubscribed {
  type: 'events:subscribed';
  tasks: string[];
  mine: boolean;
  /**
   * Whether every task is followed. Always sent by this server; optional in the schema so that
   * clients still accept the confirmation of servers from before `all` existed.
   */
  all?: boolean;
  refused: string[];
}

export interface TaskUpdated {
  type: 'task:updated';
  key: string;
  state: TaskState;
  attempt: number;
  /** ISO 8601 time of the change. */
  at: string;
  /** Why it failed or was cancelled. */
  reason?: string;
  /** Set when the state is `finished`: where the result is (`/api/v1/tasks/<key>/result`). */
  result?: string;
  /** The task (and its result) was deleted; `state` is the state it had. No more updates follow. */
  deleted?: boolean;
}

export type EventsServerMessage = EventsSubscribed | TaskUpdated | ProtocolError;
