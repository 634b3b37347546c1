/** The API v1 shapes the dashboard reads (see /api/v1/openapi.json for the whole story). */

export const TASK_STATES = [
  'waiting',
  'queued',
  'assigned',
  'running',
  'finished',
  'failed',
  'cancelled',
] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const ENDED_STATES: readonly TaskState[] = ['finished', 'failed', 'cancelled'];

export type Limits = Record<string, string | number | boolean>;
export type Files = Record<string, { reference?: string; path?: string }>;

export interface TaskSpec {
  image?: string;
  requires: string[];
  exclusive?: boolean;
  limits: Limits;
  environment: Record<string, string>;
  args: string[];
  stdin?: string;
  stdout?: string;
  stderr?: string;
  files: Files;
  collect: { glob: string; strip: number; prefix: string }[];
}

export interface TaskView {
  key: string;
  owner: string;
  state: TaskState;
  priority: number;
  attempt: number;
  maxAttempts: number;
  assignee?: string;
  reason?: string;
  createdAt: string;
  updatedAt: string;
  assignedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  schedule?: string;
  spec: TaskSpec;
  dependencies?: string[];
  after?: string;
  dependentCount?: number;
  unsatisfiedDependencies?: number;
}

export interface TaskPage {
  items: TaskView[];
  nextCursor?: string;
}

type StatsFields = Record<string, string | number>;
export interface ResultView {
  taskKey: string;
  attempt: number;
  poster: string;
  createdAt: string;
  spec: {
    result?: number;
    termination?: { reason: string; signal?: string; message?: string };
    limits: Limits;
    stats: { cpu: StatsFields; memory: StatsFields; pids: StatsFields; time?: string };
    files: Files;
    unenforced_limits?: string[];
    sampled_stats?: string[];
  };
}

export interface HistoryView {
  items: { state: TaskState; attempt: number; at: string; assignee?: string; reason?: string }[];
  attempts: {
    attempt: number;
    assignee?: string;
    assignedAt?: string;
    startedAt?: string;
    endedAt?: string;
    outcome?: TaskState;
  }[];
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
  capacity: Limits;
  free: Limits;
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
  foremen: { online: number; draining: number; capacity: Limits; free: Limits };
  queue: { paused: boolean; pausedTags: string[] };
}

export interface QueueStatus {
  isPaused: boolean;
  pausedTags: string[];
  pauses: { tag?: string; pausedBy?: string; pausedAt?: string }[];
}

export interface ScheduleView {
  id: string;
  owner: string;
  name?: string;
  cron: string;
  timezone: string;
  priority: number;
  paused: boolean;
  nextFiringAt?: string;
  lastFiredAt?: string;
  lastTask?: { key: string; state?: TaskState };
  firedCount: number;
  skippedCount: number;
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

/** `task:updated` from the events channel. */
export interface TaskUpdate {
  type: 'task:updated';
  key: string;
  state: TaskState;
  attempt: number;
  at: string;
  reason?: string;
  deleted?: boolean;
}
