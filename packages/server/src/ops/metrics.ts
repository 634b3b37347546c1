import type { RequestHandler } from 'express';
import type { Logger } from '@kolejka/spec';
import type { Store } from '../store/store.js';
import { TASK_STATES } from '../store/store.js';
import type { MaintenanceReport } from './maintenance.js';

/** Upper bounds (seconds) of the request latency histogram. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function labels(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
    .join(',');
}

/** What this process's maintenance runs removed, summed (Prometheus counters). */
const MAINTENANCE_COUNTERS = [
  ['runs', 'kolejka_maintenance_runs_total', 'Maintenance runs (retention and gc) completed.'],
  ['tasksDeleted', 'kolejka_retention_tasks_deleted_total', 'Ended tasks deleted by retention.'],
  ['blobsDeleted', 'kolejka_gc_blobs_deleted_total', 'Blob contents deleted by gc.'],
  ['bytesFreed', 'kolejka_gc_bytes_freed_total', 'Bytes freed by gc.'],
  ['sessionsRemoved', 'kolejka_gc_sessions_removed_total', 'Expired sessions removed by gc.'],
  ['eventsRemoved', 'kolejka_gc_events_removed_total', 'Old task events removed by gc.'],
] as const;

type MaintenanceCounter = (typeof MAINTENANCE_COUNTERS)[number][0];

/** What this process's schedule runner did (issue 12), by the `fireSchedule` outcome. */
const SCHEDULE_COUNTERS = [
  ['fired', 'kolejka_schedule_firings_total', 'Schedule ticks that submitted a task.'],
  [
    'skipped',
    'kolejka_schedule_skipped_firings_total',
    'Schedule ticks skipped because the previous task had not ended (overlap skip).',
  ],
] as const;

/** Request metrics kept in memory, and the Prometheus text exposition of everything. */
export class Metrics {
  readonly #latency = new Map<string, Histogram>();
  readonly #maintenance = new Map<MaintenanceCounter, number>();
  readonly #schedules = new Map<string, number>();

  /** Counts a firing claim's outcome (only `fired` and `skipped` are shown). */
  recordScheduleOutcome(outcome: string): void {
    this.#schedules.set(outcome, (this.#schedules.get(outcome) ?? 0) + 1);
  }

  recordMaintenance(report: MaintenanceReport): void {
    for (const [name] of MAINTENANCE_COUNTERS) {
      const added = name === 'runs' ? 1 : report[name];
      this.#maintenance.set(name, (this.#maintenance.get(name) ?? 0) + added);
    }
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = labels({ method, route, status: String(status) });
    let histogram = this.#latency.get(key);
    if (histogram === undefined) {
      histogram = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#latency.set(key, histogram);
    }
    LATENCY_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) histogram.counts[index] = (histogram.counts[index] ?? 0) + 1;
    });
    histogram.sum += seconds;
    histogram.count += 1;
  }

  /** The exposition: tasks by state and blob totals from the store, request latency. */
  async render(store: Store): Promise<string> {
    const [byState, blobs] = await Promise.all([store.countTasksByState(), store.blobTotals()]);
    const lines = [
      '# HELP kolejka_tasks Tasks by state.',
      '# TYPE kolejka_tasks gauge',
      ...TASK_STATES.map((state) => `kolejka_tasks{state="${state}"} ${byState[state] ?? 0}`),
      '# HELP kolejka_blobs Stored blobs.',
      '# TYPE kolejka_blobs gauge',
      `kolejka_blobs ${blobs.count}`,
      '# HELP kolejka_blob_bytes Bytes of stored blobs.',
      '# TYPE kolejka_blob_bytes gauge',
      `kolejka_blob_bytes ${blobs.bytes}`,
      ...MAINTENANCE_COUNTERS.flatMap(([name, metric, help]) => [
        `# HELP ${metric} ${help}`,
        `# TYPE ${metric} counter`,
        `${metric} ${this.#maintenance.get(name) ?? 0}`,
      ]),
      ...SCHEDULE_COUNTERS.flatMap(([name, metric, help]) => [
        `# HELP ${metric} ${help}`,
        `# TYPE ${metric} counter`,
        `${metric} ${this.#schedules.get(name) ?? 0}`,
      ]),
      '# HELP kolejka_http_request_duration_seconds HTTP request latency by route.',
      '# TYPE kolejka_http_request_duration_seconds histogram',
    ];
    for (const [key, histogram] of [...this.#latency.entries()].sort(([a], [b]) =>
      a < b ? -1 : 1,
    )) {
      LATENCY_BUCKETS.forEach((bound, index) => {
        lines.push(
          `kolejka_http_request_duration_seconds_bucket{${key},le="${bound}"} ${histogram.counts[index] ?? 0}`,
        );
      });
      lines.push(
        `kolejka_http_request_duration_seconds_bucket{${key},le="+Inf"} ${histogram.count}`,
        `kolejka_http_request_duration_seconds_sum{${key}} ${histogram.sum}`,
        `kolejka_http_request_duration_seconds_count{${key}} ${histogram.count}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}

const MOUNT = Symbol('kolejka.mount');

/** Records where the router a request entered is mounted (its `baseUrl` is gone by the
 * time an error reply finishes). */
export function mountRecorder(mount: string): RequestHandler {
  return (_req, res, next) => {
    (res.locals as Record<symbol, string>)[MOUNT] = mount;
    next();
  };
}

/** The route template a request matched (`/api/v1/tasks/:key`), or `unmatched`. */
function routeOf(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  const mount = (res.locals as Record<symbol, string | undefined>)[MOUNT] ?? '';
  return typeof path === 'string' ? `${mount}${path}` : 'unmatched';
}

/** Times every request into `metrics` and logs one line per request at debug level. */
export function requestObserver(metrics: Metrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req, res);
      metrics.observeRequest(req.method, route, res.statusCode, seconds);
      // Never the query string, headers or body: they may carry tokens or passwords.
      logger.debug('request', {
        method: req.method,
        path: req.originalUrl.split('?')[0],
        route,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1e6) / 1e3,
      });
    });
    next();
  };
}
