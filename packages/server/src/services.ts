import { randomUUID } from 'node:crypto';
import { noopLogger, type Logger } from '@kolejka/spec';
import type { BlobStore } from './blobs/blob-store.js';
import { LoginThrottle } from './accounts/login-throttle.js';
import { EventFeed } from './events/event-feed.js';
import { EventsHub } from './events/events-hub.js';
import { ForemenRegistry } from './foremen/foremen-registry.js';
import { MaintenanceRunner } from './ops/maintenance.js';
import { Metrics } from './ops/metrics.js';
import { CallbackDispatcher } from './results/callback-dispatcher.js';
import { postResult } from './results/result-posting.js';
import { ScheduleRunner } from './schedules/schedule-runner.js';
import { Scheduler } from './scheduling/scheduler.js';
import {
  resolveServerSettings,
  type ServerSettings,
  type ServerSettingsOptions,
} from './server-settings.js';
import type { Store } from './store/store.js';
import { mayReadTask } from './tasks/task-access.js';

export interface ServicesOptions {
  store: Store;
  blobs: BlobStore;
  /** Policy (limits, images, callbacks, sizes, leases); defaults documented on each field. */
  settings?: ServerSettingsOptions;
  logger?: Logger;
  /** The time source (tests move it). Default: `() => new Date()`. */
  clock?: () => Date;
  /** This process's id among the server processes of one store. Default: a random one. */
  serverId?: string;
}

/**
 * The long-lived parts of one server process, wired together. Only the composition root
 * (`app.ts`, `server.ts`) holds all of them; every feature gets the few ports it uses.
 */
export interface ServerServices {
  store: Store;
  blobs: BlobStore;
  settings: ServerSettings;
  logger: Logger;
  clock: () => Date;
  serverId: string;
  callbacks: CallbackDispatcher;
  metrics: Metrics;
  /** The push scheduler (inert until `startServer` starts it). */
  scheduler: Scheduler;
  /** The foremen connected to this process (their channels, drains, records). */
  foremen: ForemenRegistry;
  /** Task state changes for clients (WebSocket and Server-Sent Events). */
  events: EventsHub;
  /** Password attempts per address and user name (API tokens are not limited). */
  loginThrottle: LoginThrottle;
  /** Retention and gc on a schedule (inert until `startServer` starts it). */
  maintenance: MaintenanceRunner;
  /** Fires cron schedules (inert until `startServer` starts it). */
  schedules: ScheduleRunner;
}

export function createServices(options: ServicesOptions): ServerServices {
  const { store, blobs } = options;
  const logger = options.logger ?? noopLogger;
  const settings = resolveServerSettings(options.settings);
  const clock = options.clock ?? (() => new Date());
  const serverId = options.serverId ?? `server-${randomUUID().slice(0, 8)}`;
  const callbacks = new CallbackDispatcher({
    settings,
    logger: logger.child({ component: 'callback' }),
  });
  const feed = new EventFeed({ store, logger: logger.child({ component: 'scheduler' }) });
  const scheduler = new Scheduler({
    store,
    feed,
    settings,
    logger: logger.child({ component: 'scheduler' }),
    clock,
    serverId,
  });
  const resultPorts = { store, clock, logger, callbacks };
  const foremen = new ForemenRegistry({
    scheduler,
    store,
    settings,
    serverId,
    clock,
    logger: logger.child({ component: 'scheduler' }),
    postResult: (principal, post) => postResult(resultPorts, principal, post),
  });
  const events = new EventsHub({
    store,
    feed,
    mayRead: (principal, task) => mayReadTask({ store }, principal, task),
    logger: logger.child({ component: 'events' }),
  });
  const metrics = new Metrics();
  const maintenance = new MaintenanceRunner({
    store,
    blobs,
    retention: settings.retention,
    intervalMs: settings.maintenanceIntervalMs,
    onReport: (report) => metrics.recordMaintenance(report),
    clock,
    logger: logger.child({ component: 'maintenance' }),
  });
  const schedules = new ScheduleRunner({
    store,
    clock,
    settings,
    onOutcome: (outcome) => metrics.recordScheduleOutcome(outcome),
    logger: logger.child({ component: 'schedules' }),
  });
  const loginThrottle = new LoginThrottle({
    attemptsPerMinute: settings.loginAttemptsPerMinute,
  });
  return {
    loginThrottle,
    store,
    blobs,
    settings,
    logger,
    clock,
    serverId,
    callbacks,
    metrics,
    scheduler,
    foremen,
    events,
    maintenance,
    schedules,
  };
}
