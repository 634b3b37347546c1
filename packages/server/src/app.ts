import { createRequire } from 'node:module';
import { dashboardDir } from '@kolejka/dashboard';
import express, { Router, type Express } from 'express';
import { bearerAuth } from './accounts/bearer-auth.js';
import { tokenRoutes } from './accounts/token-routes.js';
import { userAdminRoutes } from './accounts/user-admin-routes.js';
import { blobRoutes } from './blobs/blob-routes.js';
import { compatBlobRoutes } from './compat/blob-routes.js';
import { compatAuth } from './compat/compat-auth.js';
import { compatQueueRoutes } from './compat/queue-routes.js';
import { compatSessionRoutes } from './compat/session-routes.js';
import { compatTaskRoutes } from './compat/task-routes.js';
import { eventsRoutes } from './events/events-routes.js';
import { foremanRoutes } from './foremen/foreman-routes.js';
import { overviewRoutes } from './overview/overview-routes.js';
import { errorMiddleware, setErrorStyle } from './http/errors.js';
import { routeFallback } from './http/fallback.js';
import type { RouteModule } from './http/route-module.js';
import { healthRoutes } from './ops/health-routes.js';
import { mountRecorder, requestObserver } from './ops/metrics.js';
import { buildOpenApiDocument, openApiRoutes } from './ops/openapi.js';
import { settingsRoutes } from './ops/settings-routes.js';
import { resultArchiveRoutes } from './results/result-archive-routes.js';
import { resultRoutes } from './results/result-routes.js';
import { scheduleRoutes } from './schedules/schedule-routes.js';
import { createServices, type ServerServices, type ServicesOptions } from './services.js';
import { queueControlRoutes } from './queue-control/queue-control-routes.js';
import { queueRoutes } from './tasks/queue-routes.js';
import { taskHistoryRoutes } from './tasks/task-history-routes.js';
import { taskRoutes } from './tasks/task-routes.js';
import { dependencyRoutes } from './dependencies/dependency-routes.js';
import { uiRoutes } from './ui/ui-routes.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export interface CreateAppOptions extends ServicesOptions {
  /** More routes; documented in openapi.json too. */
  modules?: readonly RouteModule[];
  /** The built dashboard served at `/ui/` (tests point it elsewhere). Default: `dashboardDir`. */
  uiDir?: string;
}

/** What `buildApp` adds to the services. */
export type AppExtras = Pick<CreateAppOptions, 'modules' | 'uiDir'>;

/** The built-in route modules, in registration order, each given the ports it uses. */
function builtInModules(services: ServerServices, uiDir: string): RouteModule[] {
  return [
    healthRoutes(services),
    uiRoutes({ uiDir, isEnabled: services.settings.ui }),
    tokenRoutes(services),
    settingsRoutes(services),
    blobRoutes(services),
    taskRoutes(services),
    dependencyRoutes(services),
    taskHistoryRoutes(services),
    resultRoutes(services),
    resultArchiveRoutes(services),
    queueRoutes(services),
    overviewRoutes(services),
    scheduleRoutes({ ...services, onScheduleChanged: () => services.schedules.notifyChanged() }),
    foremanRoutes(services),
    eventsRoutes(services),
    compatSessionRoutes(services),
    compatBlobRoutes(services),
    compatTaskRoutes(services),
    compatQueueRoutes(services),
    // Queue control (issue 12)
    queueControlRoutes(services),
    userAdminRoutes(services),
  ];
}

/**
 * The Express app of the server: `/healthz` and `/metrics`, API v1 under `/api/v1`, and the
 * original-compatible API at the root. Its scheduler stays inert: `startServer` runs one.
 */
export function createApp(options: CreateAppOptions): Express {
  return buildApp(createServices(options), options);
}

/**
 * The app over services built already (`startServer` keeps them to run and stop). No global
 * body parser: every route reads its own body (the original client sends raw JSON without
 * a Content-Type).
 */
export function buildApp(services: ServerServices, extras: AppExtras = {}): Express {
  const { logger, settings } = services;
  const modules: RouteModule[] = [
    ...builtInModules(services, extras.uiDir ?? dashboardDir),
    ...(extras.modules ?? []),
    // The document is built from the modules, this one included; it is read per request.
    openApiRoutes(() => openApi),
  ];
  const openApi = buildOpenApiDocument(modules, version);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  app.set('etag', false);
  app.use(requestObserver(services.metrics, logger.child({ component: 'http' })));

  const ops = Router();
  const v1 = Router();
  const compat = Router();
  v1.use(mountRecorder('/api/v1'));
  v1.use((_req, res, next) => {
    setErrorStyle(res, 'v1');
    next();
  });
  v1.use(bearerAuth(services.store, services.clock));
  compat.use(compatAuth(services));
  const routers = { ops, v1, compat };
  for (const module of modules) module.register(routers[module.api]);
  ops.use(routeFallback(ops, { isCatchAll: false }));
  v1.use(routeFallback(v1, { isCatchAll: true }));
  compat.use(routeFallback(compat, { isCatchAll: true }));

  app.use(ops);
  app.use('/api/v1', v1);
  app.use(compat);
  app.use(errorMiddleware(logger));
  return app;
}
