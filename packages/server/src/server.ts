import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { noopLogger, type Logger } from '@kolejka/spec';
import { appContextOf, createApp, type CreateAppOptions } from './app.js';
import type { BlobStore } from './blobs/blob-store.js';
import { startLeaseReaper } from './lease-reaper.js';
import { openStorage } from './storage.js';
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
  /** How long `close()` waits for requests in flight before cutting them. Default 10 s. */
  shutdownTimeoutMs?: number;
}

export interface RunningServer {
  /** `http://host:port` (no trailing slash). */
  url: string;
  app: Express;
  /** The Node server (for WebSocket upgrades). */
  httpServer: Server;
  /**
   * Graceful stop, idempotent: stops accepting connections, lets requests in flight finish
   * (up to the shutdown timeout), stops callbacks and the lease reaper, then closes the
   * storage it opened.
   */
  close(): Promise<void>;
}

/** Starts the HTTP server (and the lease reaper) on the given or opened storage. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const logger: Logger = options.logger ?? noopLogger;
  const storage =
    options.storage ??
    (await openStorage({
      home: options.home ?? '.kolejka',
      ...(options.db === undefined ? {} : { db: options.db }),
      ...(options.blobsDir === undefined ? {} : { blobsDir: options.blobsDir }),
      logger,
    }));
  const ownsStorage = options.storage === undefined;
  const closeStorage = async (): Promise<void> => {
    if (!ownsStorage) return;
    await Promise.allSettled([storage.store.close(), storage.blobs.close()]);
  };

  let app: Express;
  try {
    app = createApp({ ...options, store: storage.store, blobs: storage.blobs, logger });
  } catch (error) {
    await closeStorage();
    throw error;
  }
  const ctx = appContextOf(app);
  const httpServer = createServer(app);
  // Slow or idle clients must not hold sockets forever; uploads may be long, so the
  // request timeout is generous while headers must come quickly.
  httpServer.headersTimeout = 30_000;
  httpServer.requestTimeout = 0;
  httpServer.keepAliveTimeout = 5_000;
  httpServer.listen(options.port ?? 8000, options.host ?? '127.0.0.1');
  try {
    await once(httpServer, 'listening');
  } catch (error) {
    await closeStorage();
    throw error;
  }
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  const reaper = startLeaseReaper({
    store: storage.store,
    intervalMs: ctx.settings.leaseSweepIntervalMs,
    clock: ctx.clock,
    logger: logger.child({ component: 'leases' }),
  });
  logger.info('server listening', { url });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info('server stopping');
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
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
      await Promise.all([reaper.close(), ctx.callbacks.close()]);
      await closeStorage();
      logger.info('server stopped');
    })();
    return closing;
  };
  return { url, app, httpServer, close };
}
