import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { noopLogger, type Logger } from '@kolejka/spec';
import { buildApp, type CreateAppOptions } from './app.js';
import type { BlobStore } from './blobs/blob-store.js';
import { openStorage } from './blobs/open-storage.js';
import { eventsUpgrade } from './events/events-upgrade.js';
import { EventsSockets } from './events/events-socket.js';
import { foremanUpgrade } from './foremen/foreman-upgrade.js';
import {
  applyHttpLimits,
  httpServerOptions,
  resolveHttpLimits,
  type HttpLimits,
} from './http/connection-limits.js';
import { createUpgradeHandler } from './http/websocket-upgrades.js';
import type { CallbackDispatcher } from './results/callback-dispatcher.js';
import { createServices, type ServerServices } from './services.js';
import type { Store } from './store/store.js';

export interface StartServerOptions extends Omit<CreateAppOptions, 'store' | 'blobs'> {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 8000. */
  port?: number;
  /** Storage opened by the caller, who closes it. Without it the server opens (and closes)
   * the storage named by `home`, `db` and `blobsDir`. */
  storage?: { store: Store; blobs: BlobStore };
  home?: string;
  db?: string;
  blobsDir?: string;
  /** SQLite only: `full` (every commit synced to disk, the default) or `normal`. */
  sqliteSynchronous?: 'full' | 'normal';
  /** How long `close()` waits for requests in flight before cutting them. Default 10 s. */
  shutdownTimeoutMs?: number;
  /** Timeouts and the per-address connection cap (defaults: `DEFAULT_HTTP_LIMITS`). */
  http?: Partial<HttpLimits>;
}

export interface RunningServer {
  /** `http://host:port` (no trailing slash). */
  url: string;
  app: Express;
  /** The Node server (for WebSocket upgrades). */
  httpServer: Server;
  /** The store in use (opened by the server unless `storage` was given). */
  store: Store;
  /** Task callbacks in flight: `idle()` resolves when none is left (tests wait on it). */
  callbacks: Pick<CallbackDispatcher, 'idle'>;
  /**
   * Graceful stop, idempotent: stops accepting connections, closes the foreman and event
   * streams, lets requests in flight finish (up to the shutdown timeout), stops callbacks
   * and the scheduler (lease sweep included), then closes the storage it opened.
   */
  close(): Promise<void>;
}

/** Starts the scheduler and the HTTP server (with its WebSocket endpoints) on the given or opened storage. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const logger: Logger = options.logger ?? noopLogger;
  const storage =
    options.storage ??
    (await openStorage({
      home: options.home ?? '.kolejka',
      ...(options.db === undefined ? {} : { db: options.db }),
      ...(options.blobsDir === undefined ? {} : { blobsDir: options.blobsDir }),
      ...(options.sqliteSynchronous === undefined
        ? {}
        : { sqliteSynchronous: options.sqliteSynchronous }),
      logger,
    }));
  const ownsStorage = options.storage === undefined;
  const closeStorage = async (): Promise<void> => {
    if (!ownsStorage) return;
    await Promise.allSettled([storage.store.close(), storage.blobs.close()]);
  };

  let app: Express;
  let services: ServerServices;
  let httpLimits: HttpLimits;
  try {
    httpLimits = resolveHttpLimits(options.http);
    services = createServices({ ...options, store: storage.store, blobs: storage.blobs, logger });
    app = buildApp(services, options);
  } catch (error) {
    await closeStorage();
    throw error;
  }
  const { scheduler, foremen, events, callbacks } = services;
  // Slow or idle clients must not hold sockets forever: headers must come quickly, a body
  // must keep moving, and one address holds a bounded number of connections.
  const httpServer = createServer(httpServerOptions(httpLimits), app);
  applyHttpLimits(httpServer, httpLimits, logger.child({ component: 'http' }));

  // Started before the server listens, so the first foreman to connect finds the queue
  // indexed. The scheduler also returns expired leases to the queue (every server process
  // sweeps; the store's expiry is atomic, so racing sweeps never double-count).
  try {
    await scheduler.start();
  } catch (error) {
    await scheduler.close();
    await closeStorage();
    throw error;
  }
  foremen.start();
  services.maintenance.start();
  services.schedules.start();
  const eventSockets = new EventsSockets({
    hub: events,
    logger: logger.child({ component: 'events' }),
    pingIntervalMs: services.settings.heartbeatIntervalMs,
  });
  const { store, clock } = services;
  httpServer.on(
    'upgrade',
    createUpgradeHandler({
      endpoints: {
        '/api/v1/foreman': foremanUpgrade({ store, clock, foremen }),
        '/api/v1/events': eventsUpgrade({ store, clock, sockets: eventSockets }),
      },
      logger: logger.child({ component: 'websocket' }),
    }),
  );
  // The foremen's connections close first (1001: they reconnect elsewhere), then the loops stop.
  const stopScheduling = async (): Promise<void> => {
    await Promise.all([foremen.close(), services.maintenance.close(), services.schedules.close()]);
    await scheduler.close();
  };
  httpServer.listen(options.port ?? 8000, options.host ?? '127.0.0.1');
  try {
    await once(httpServer, 'listening');
  } catch (error) {
    await Promise.all([stopScheduling(), eventSockets.close()]);
    await closeStorage();
    throw error;
  }
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info('server listening', { url, serverId: services.serverId });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info('server stopping');
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      // Long-lived streams end first: foremen reconnect elsewhere, SSE clients retry.
      events.close();
      await Promise.all([stopScheduling(), eventSockets.close()]);
      // Keep-alive connections become idle as their last request ends: close them then.
      httpServer.closeIdleConnections();
      const sweeper = setInterval(() => httpServer.closeIdleConnections(), 25);
      const timer = setTimeout(() => {
        logger.warn('requests still running at the shutdown timeout: cut off');
        httpServer.closeAllConnections();
      }, options.shutdownTimeoutMs ?? 10_000);
      await stopped;
      clearInterval(sweeper);
      clearTimeout(timer);
      await callbacks.close();
      await closeStorage();
      logger.info('server stopped');
    })();
    return closing;
  };
  return { url, app, httpServer, store: storage.store, callbacks, close };
}
