import type { ErrorCode } from '../errors.js';
import type { LimitsJson } from '../limits.js';
import type { ResultSpecJson } from '../result.js';
import type { TaskSpecJson } from '../task.js';

/**
 * The push channel between a foreman and the server (`GET /api/v1/foreman`, a WebSocket).
 * JSON text messages with a `type` of the form `noun:verb`. Files never travel here: they
 * are blobs over HTTP. A result is either PUT over HTTP before `task:finished` is sent, or
 * (protocol 2) carried by `task:finished` itself.
 */

/**
 * Protocol versions this code speaks; the hello lists the foreman's, the welcome picks one.
 * 1: results over HTTP only. 2: `task:finished` may carry the result (`RESULTS_IN_FINISHED_PROTOCOL`).
 * 3: the server acknowledges a result it stored from `task:finished` with `result:stored`
 * (`RESULT_ACK_PROTOCOL`); older foremen never get that message.
 */
export const FOREMAN_PROTOCOL_VERSIONS = [1, 2, 3] as const;

/** The first protocol version in which the server stores a result sent in `task:finished`. */
export const RESULTS_IN_FINISHED_PROTOCOL = 2;

/** The first protocol version in which the server answers a stored result with `result:stored`. */
export const RESULT_ACK_PROTOCOL = 3;

/** A task as one attempt: the server refuses anything about an attempt that is not current. */
export interface TaskAttempt {
  key: string;
  attempt: number;
}

// Foreman → server ---------------------------------------------------------------------------

/** First message after connecting (and after every reconnect). */
export interface ForemanHello {
  type: 'foreman:hello';
  /** Protocol versions the foreman speaks. */
  protocols: number[];
  /** Stable id of this foreman (survives restarts: a reconnect keeps its tasks' leases). */
  foremanId: string;
  /** Software version, for the listing. */
  version: string;
  /** Configured and automatic tags (`cpu:…`, `hostname:…`). */
  tags: string[];
  /** Everything the foreman offers: cpus, memory, swap, pids, storage, workspace, gpus, gpu_memory, image budget, and caps such as time. */
  capacity: LimitsJson;
  /** Tasks it still runs (after a reconnect): their leases are kept when still current. */
  running: TaskAttempt[];
  /**
   * Limits a task may ask for that this foreman's host cannot enforce (`storage` without
   * overlay2 on xfs with pquota); such a task runs without them and its result says so.
   */
  unenforcedLimits?: string[];
  /** The foreman itself is draining (SIGTERM): send nothing new. */
  draining?: boolean;
}

/** Renews the leases of every task it runs; sent every `heartbeatIntervalMs`. */
export interface ForemanHeartbeat {
  type: 'foreman:heartbeat';
  running: TaskAttempt[];
}

export interface TaskAccepted extends TaskAttempt {
  type: 'task:accepted';
}

/** The foreman will not run it (e.g. the image cannot be had); it goes back to the queue. */
export interface TaskRejected extends TaskAttempt {
  type: 'task:rejected';
  reason: string;
  /**
   * Protocol 3: the rejection is about the foreman's own state (draining, stopping, a full
   * disk, no room just now), not the task, and does not count toward the task's bounded
   * number of rejections.
   */
  isTransient?: boolean;
}

export interface TaskStarted extends TaskAttempt {
  type: 'task:started';
}

/**
 * The attempt is over and its capacity free again. Without `result`: the result was stored
 * (the PUT over HTTP succeeded). With `result` (protocol 2 or later): the server stores it
 * exactly as the PUT would (same fencing, an identical resend is accepted) and answers with
 * an `error` naming the task (`details.key`, `details.attempt`) only when it refuses it.
 */
export interface TaskFinished extends TaskAttempt {
  type: 'task:finished';
  /**
   * The canonical result (`kolejka_result.json`), files by the hashes of blobs uploaded
   * before over HTTP. Checked by the receiver against the result schema (`parseResult`),
   * so that a refusal names the task and the JSON paths under `/result`.
   */
  result?: ResultSpecJson;
}

/** The task could not be run at all (infrastructure failure); `reason` says why. */
export interface TaskFailed extends TaskAttempt {
  type: 'task:failed';
  reason: string;
}

export type ForemanMessage =
  | ForemanHello
  | ForemanHeartbeat
  | TaskAccepted
  | TaskRejected
  | TaskStarted
  | TaskFinished
  | TaskFailed;

// Server → foreman ---------------------------------------------------------------------------

export interface ServerWelcome {
  type: 'server:welcome';
  /** The protocol version chosen for this connection. */
  protocol: number;
  /** Which server process answered (several may serve one system). */
  serverId: string;
  heartbeatIntervalMs: number;
  /** How long a lease lasts from its last renewal. */
  leaseMs: number;
  /** Of the tasks the hello listed: those whose leases are kept (keep running them). */
  kept: TaskAttempt[];
  /** Of the tasks the hello listed: those no longer assigned to it (stop them, post nothing). */
  dropped: TaskAttempt[];
  /** The foreman is drained by an administrator: it gets no new work. */
  draining: boolean;
}

/** Run this task. `limits` are the effective limits (task ∩ foreman) the server matched on. */
export interface TaskAssign extends TaskAttempt {
  type: 'task:assign';
  /** ISO 8601. */
  leaseExpiresAt: string;
  task: TaskSpecJson;
  limits: LimitsJson;
}

/** Stop this task now (cancelled by a user, or the attempt was superseded). */
export interface TaskCancel extends TaskAttempt {
  type: 'task:cancel';
  reason: string;
}

/** An administrator drained (or undrained) the foreman. */
export interface ForemanDrain {
  type: 'foreman:drain';
  draining: boolean;
}

/** The result of this attempt sent in `task:finished` is stored (protocol 3): drop its spool. */
export interface ResultStored extends TaskAttempt {
  type: 'result:stored';
}

/** A message could not be taken; the connection stays open unless the peer keeps erring. */
export interface ProtocolError {
  type: 'error';
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type ServerMessage =
  ServerWelcome | TaskAssign | TaskCancel | ForemanDrain | ResultStored | ProtocolError;
