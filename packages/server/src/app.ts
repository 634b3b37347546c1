import { createRequire } from 'node:module';
import express, { Router, type Express } from 'express';
import { KolejkaError, noopLogger, type Logger } from '@kolejka/spec';
import type { AppContext } from './app-context.js';
import { authRoutes } from './api/v1/auth-routes.js';
import { blobRoutes } from './api/v1/blob-routes.js';
import { queueRoutes } from './api/v1/queue-routes.js';
import { resultRoutes } from './api/v1/result-routes.js';
import { taskRoutes } from './api/v1/task-routes.js';
import { buildOpenApiDocument, openApiRoutes } from './api/openapi.js';
import type { RouteModule } from './api/route-module.js';
import { bearerAuth } from './auth/bearer.js';
import type { BlobStore } from './blobs/blob-store.js';
import { CallbackDispatcher } from './callbacks.js';
import { compatBlobRoutes } from './compat/blob-routes.js';
import { compatQueueRoutes } from './compat/queue-routes.js';
import { sessionRoutes } from './compat/session-routes.js';
import { compatAuth } from './compat/session-auth.js';
import { compatTaskRoutes } from './compat/task-routes.js';
import { EventsHub } from './events/events-hub.js';
import { eventsRoutes } from './events/events-routes.js';
import { postResult } from './domain/results.js';
import { mayReadTask } from './domain/task-access.js';
import { errorMiddleware, setErrorStyle } from './http/errors.js';
import { routeFallback } from './http/fallback.js';
import { Metrics, mountRecorder, requestObserver } from './metrics.js';
import { healthRoutes } from './ops/health-routes.js';
import { foremanRoutes } from './scheduler/foreman-routes.js';
import { Scheduler } from './scheduler/scheduler.js';
import { resolveServerSettings, type ServerSettingsOptions } from './settings.js';
import type { Store } from './store/store.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export interface CreateAppOptions {
  store: Store;
  blobs: BlobStore;
  /** Policy (limits, images, callbacks, sizes, leases); defaults documented on each field. */
  settings?: ServerSettingsOptions;
  logger?: Logger;
  /** The time source (tests move it). Default: `() => new Date()`. */
  clock?: () => Date;
  /** More routes; documented in openapi.json too. */
  modules?: readonly RouteModule[];
  /** This process's id among the server processes of one store. Default: a random one. */
  serverId?: string;
}

/** The built-in route modules, in registration order. */
export const BUILT_IN_MODULES: readonly RouteModule[] = [
  healthRoutes,
  authRoutes,
  blobRoutes,
  taskRoutes,
  resultRoutes,
  queueRoutes,
  foremanRoutes,
  eventsRoutes,
  sessionRoutes,
  compatBlobRoutes,
  compatTaskRoutes,
  compatQueueRoutes,
];

const contexts = new WeakMap<Express, AppContext>();

/** The context an app was created with (its store, settings, callback dispatcher…). */
export function appContextOf(app: Express): AppContext {
  const context = contexts.get(app);
  if (context === undefined) throw new KolejkaError('KOLEJKA_INTERNAL', 'Not a Kolejka app');
  return context;
}

/**
 * The Express app of the server: `/healthz` and `/metrics`, API v1 under `/api/v1`, and the
 * original-compatible API at the root. No global body parser: every route reads its own
 * body (the original client sends raw JSON without a Content-Type).
 */
export function createApp(options: CreateAppOptions): Express {
  const logger = options.logger ?? noopLogger;
  const settings = resolveServerSettings(options.settings);
  const clock = options.clock ?? (() => new Date());
  const scheduler = new Scheduler({
    store: options.store,
    settings,
    logger: logger.child({ component: 'scheduler' }),
    clock,
    ...(options.serverId === undefined ? {} : { serverId: options.serverId }),
    postResult: (principal, post) => postResult(ctx, principal, post),
  });
  const events = new EventsHub({
    store: options.store,
    feed: scheduler.feed,
    mayRead: (principal, task) => mayReadTask(ctx, principal, task),
    logger: logger.child({ component: 'events' }),
  });
  const ctx: AppContext = {
    store: options.store,
    blobs: options.blobs,
    settings,
    logger,
    clock,
    callbacks: new CallbackDispatcher({
      settings,
      logger: logger.child({ component: 'callback' }),
    }),
    metrics: new Metrics(),
    scheduler,
    events,
  };
  const modules: RouteModule[] = [
    ...BUILT_IN_MODULES,
    ...(options.modules ?? []),
    // The document is built from the modules, this one included; it is read per request.
    openApiRoutes(() => openApi),
  ];
  const openApi = buildOpenApiDocument(modules, version);

  const app = express();
  contexts.set(app, ctx);
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  app.set('etag', false);
  app.use(requestObserver(ctx.metrics, logger.child({ component: 'http' })));

  const ops = Router();
  const v1 = Router();
  const compat = Router();
  v1.use(mountRecorder('/api/v1'));
  v1.use((_req, res, next) => {
    setErrorStyle(res, 'v1');
    next();
  });
  v1.use(bearerAuth(ctx.store, ctx.clock));
  compat.use(compatAuth(ctx));
  const routers = { ops, v1, compat };
  for (const module of modules) module.register(routers[module.api], ctx);
  ops.use(routeFallback(ops, { isCatchAll: false }));
  v1.use(routeFallback(v1, { isCatchAll: true }));
  compat.use(routeFallback(compat, { isCatchAll: true }));

  app.use(ops);
  app.use('/api/v1', v1);
  app.use(compat);
  app.use(errorMiddleware(logger));
  return app;
}
