/**
 * The API v1 shapes the dashboard reads. The task, result, schedule, history and event views
 * are @kolejka/spec's own (type imports only: no code of the spec reaches the bundle); the
 * server-side views (foremen, overview, users, tokens, queue, graph) are written here, as
 * /api/v1/openapi.json describes them.
 */
import type { LimitsJson, TaskState, TaskView } from '@kolejka/spec';

export type {
  LimitsJson,
  ResultView,
  ScheduleView,
  TaskHistoryView as HistoryView,
  TaskSpecJson,
  TaskState,
  TaskUpdated as TaskUpdate,
  TaskView,
} from '@kolejka/spec';
export type { FilesSpec as Files } from '@kolejka/spec';

/** @kolejka/spec's TASK_STATES, in order (a value import would bundle the spec's validators; a test keeps them equal). */
export const TASK_STATES = [
  'waiting',
  'queued',
  'assigned',
  'running',
  'finished',
  'failed',
  'cancelled',
] as const satisfies readonly TaskState[];
export const ENDED_STATES: readonly TaskState[] = ['finished', 'failed', 'cancelled'];

export interface TaskPage {
  items: TaskView[];
  nextCursor?: string;
}

export interface GraphView {
  root: string;
  nodes: { key: string; state?: TaskState; owner?: string; distance: number }[];
  edges: { dependency: string; dependent: string; after: string; outcome?: string }[];
  isTruncated: boolean;
}

export interface ForemanView {
  id: string;
  username: string;
  version?: string;
  tags: string[];
  capacity: LimitsJson;
  free: LimitsJson;
  running: { key: string; attempt: number; state: TaskState }[];
  lastHeartbeatAt?: string;
  online: boolean;
  draining: boolean;
  updatedAt: string;
}

export interface OverviewView {
  at: string;
  tasks: { counts: Record<TaskState, number> };
  queueWait: {
    windowSeconds: number;
    samples: number;
    p50Ms?: number | null;
    p95Ms?: number | null;
  };
  throughput: {
    windowSeconds: number;
    finished: number;
    failed: number;
    cancelled: number;
    perMinute: number[];
  };
  foremen: { online: number; draining: number; capacity: LimitsJson; free: LimitsJson };
  queue: { paused: boolean; pausedTags: string[] };
}

export interface QueueStatus {
  isPaused: boolean;
  pausedTags: string[];
  pauses: { tag?: string; pausedBy?: string; pausedAt?: string }[];
}

export interface UserView {
  username: string;
  roles: string[];
  hasPassword: boolean;
  createdAt: string;
  weight: number;
  maxRunning: number | null;
  maxQueued: number | null;
}

export interface TokenView {
  id: string;
  username: string;
  createdAt: string;
  label?: string;
  lastUsedAt?: string;
}
