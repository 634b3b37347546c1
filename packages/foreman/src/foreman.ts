import path from 'node:path';
import { KolejkaClient } from '@kolejka/client';
import {
  FOREMAN_PROTOCOL_VERSIONS,
  KolejkaError,
  RESULTS_IN_FINISHED_PROTOCOL,
  dumpLimits,
  noopLogger,
  type ForemanMessage,
  type Logger,
} from '@kolejka/spec';
import { createWorker, type Worker } from '@kolejka/worker';
import { Assignments, type WorkState } from './tasks/assignments.js';
import { BlobCache } from './tasks/blob-cache.js';
import { CapacityLedger } from './capacity-ledger.js';
import { createDockerHost, type DockerHost } from './docker/docker-host.js';
import { ImageBudget } from './docker/image-budget.js';
import type { ResolvedForemanOptions } from './options.js';
import { recoverEarlierRun } from './tasks/recovery.js';
import { ResultUploads } from './tasks/result-uploads.js';
import type { ForemanRuntime, LocalTask, ServerFiles } from './tasks/runtime.js';
import { ServerConnection } from './server/server-connection.js';
import { lockTempDir } from './temp-lock.js';

/** The protocol versions this foreman implements (1: results over HTTP; 2: also in task:finished). */
const SPOKEN_PROTOCOLS: number[] = FOREMAN_PROTOCOL_VERSIONS.filter(
  (version) => version === 1 || version === RESULTS_IN_FINISHED_PROTOCOL,
);

export interface ForemanDeps {
  logger?: Logger;
  /** Default: `createWorker({ logger })`. */
  worker?: Worker;
  /** Blob downloads and result uploads. Default: a KolejkaClient on the options' servers. */
  server?: ServerFiles;
  /** Default: dockerode on DOCKER_HOST or the default socket. */
  docker?: DockerHost;
}

/** What `status()` tells (tests, logs). */
export interface ForemanStatus {
  isConnected: boolean;
  serverUrl: string | undefined;
  isDraining: boolean;
  isDrainedByServer: boolean;
  tasks: { key: string; attempt: number; phase: string }[];
  free: Record<string, unknown>;
}

export interface Foreman {
  /** Locks the temp dir, cleans up after an earlier crash, and connects. */
  start(): Promise<void>;
  /** No new tasks (the server is told); resolves once running tasks finished and their results were sent or spooled. */
  drain(): Promise<void>;
  /** Stops now: containers are killed, work dirs removed, spooled results kept. Idempotent. */
  close(): Promise<void>;
  /** Resolves when the foreman cannot go on (refused credentials…), with the error. */
  readonly failed: Promise<KolejkaError>;
  status(): ForemanStatus;
}

/** The foreman daemon (see README: protocol, capacity, spool, images, shutdown). */
export function createForeman(options: ResolvedForemanOptions, deps: ForemanDeps = {}): Foreman {
  const logger = deps.logger ?? noopLogger;
  const tasks = new Map<string, LocalTask>();
  const ledger = new CapacityLedger(options.capacity, options.tags, options.concurrency);
  let connection: ServerConnection | undefined;
  let client: KolejkaClient | undefined;
  let releaseLock: (() => Promise<void>) | undefined;
  const state: WorkState = { isClosing: false, isDraining: false, isDrainedByServer: false };
  let closing: Promise<void> | undefined;
  let onChange: (() => void) | undefined;
  let fail: (error: KolejkaError) => void = () => undefined;
  const failed = new Promise<KolejkaError>((resolve) => (fail = resolve));
  const worker = deps.worker ?? createWorker({ logger: logger.child({ component: 'worker' }) });
  const server: ServerFiles = deps.server ?? {
    getBlob: (hash, file, opts) => getClient().getBlob(hash, file, opts),
    putResult: (key, dir, opts) => getClient().putResult(key, dir, opts),
    uploadResult: (key, dir, opts) => getClient().uploadResult(key, dir, opts),
  };
  let docker: DockerHost | undefined = deps.docker;
  const cache = new BlobCache({
    dir: path.join(options.tempDir, 'blobs'),
    budgetBytes: options.blobCacheBytes,
    fetch: async (hash, destination) => {
      await server.getBlob(hash, destination);
    },
    logger,
  });
  let images: ImageBudget | undefined;

  function getClient(): KolejkaClient {
    if (client === undefined)
      throw new KolejkaError('KOLEJKA_UNAVAILABLE', 'the foreman is not started');
    return client;
  }

  const runtime: ForemanRuntime = {
    options,
    logger,
    ledger,
    worker,
    cache,
    get images() {
      return images;
    },
    server,
    tasks,
    send: (message: ForemanMessage) => connection?.send(message) ?? false,
    canPushResults: () =>
      connection?.isConnected === true &&
      (connection.protocol ?? 0) >= RESULTS_IN_FINISHED_PROTOCOL,
    changed: () => onChange?.(),
  };
  const uploads = new ResultUploads(runtime);
  const assignments = new Assignments(runtime, uploads, state);

  const running = (): { key: string; attempt: number }[] =>
    [...tasks.values()].map(({ key, attempt }) => ({ key, attempt }));

  async function resolveToken(): Promise<string> {
    if (options.token !== undefined) return options.token;
    if (options.username !== undefined && options.password !== undefined) {
      const anonymous = new KolejkaClient({ server: options.servers, logger });
      const made = await anonymous.createToken(options.username, options.password, {
        label: `kolejka-foreman ${options.id}`,
      });
      return made.token;
    }
    throw new KolejkaError(
      'KOLEJKA_UNAUTHORIZED',
      'No token: give the token of a processor user with --token or KOLEJKA_TOKEN (kolejka-server token create USER)',
    );
  }

  async function start(): Promise<void> {
    releaseLock = await lockTempDir(options.tempDir);
    try {
      docker ??= await createDockerHost();
      await docker.ping();
      const spooled = await recoverEarlierRun({
        id: options.id,
        tempDir: options.tempDir,
        docker,
        logger,
      });
      await cache.open();
      const imageBudget = options.capacity.image;
      if (imageBudget !== undefined) {
        images = new ImageBudget({
          docker,
          budgetBytes: imageBudget,
          stateFile: path.join(options.tempDir, 'images.json'),
          pullAlways: options.pull,
          evictForeign: options.evictForeignImages,
          logger,
        });
        await images.open();
      }
      const token = await resolveToken();
      client = new KolejkaClient({
        server: options.servers,
        token,
        logger: logger.child({ component: 'client' }),
      });
      for (const entry of spooled) {
        const local = assignments.newLocal(entry.key, entry.attempt);
        local.phase = 'spooled';
        tasks.set(entry.key, local);
      }
      connection = new ServerConnection({
        urls: options.servers,
        token,
        logger,
        handlers: {
          hello: () => ({
            type: 'foreman:hello',
            protocols: SPOKEN_PROTOCOLS,
            foremanId: options.id,
            version: options.version,
            tags: options.tags,
            capacity: dumpLimits(options.capacity),
            running: running(),
            ...(state.isDraining ? { draining: true } : {}),
          }),
          heartbeat: () => ({ type: 'foreman:heartbeat', running: running() }),
          welcome: (welcome, url) => assignments.onWelcome(welcome, url),
          message: (message) => assignments.onMessage(message),
          disconnected: (info) => {
            // 1000: this foreman's own reconnect (the drain's new hello).
            if (info.code === 1000) logger.info('disconnected from the server', info);
            else logger.warn('disconnected from the server', info);
          },
          fatal: (error) => {
            logger.error('the server refused this foreman', { error: error.message });
            fail(error);
          },
        },
      });
      connection.start();
      for (const local of tasks.values()) uploads.retryNow(local);
      logger.info('foreman started', {
        id: options.id,
        servers: options.servers,
        capacity: dumpLimits(options.capacity),
        tags: options.tags,
        concurrency: Number.isFinite(options.concurrency) ? options.concurrency : 'capacity',
      });
    } catch (error) {
      await releaseLock();
      releaseLock = undefined;
      throw error;
    }
  }

  /** Tasks still running or uploading (spooled results and unsent reports wait for the next start). */
  const isBusy = (): boolean =>
    [...tasks.values()].some(
      (local) =>
        local.phase === 'preparing' || local.phase === 'running' || local.phase === 'uploading',
    );
  const isConfirming = (): boolean =>
    [...tasks.values()].some((local) => local.phase === 'confirming');

  /**
   * Resolves once nothing runs or uploads. Results sent in task:finished are then given a
   * heartbeat interval (plus 5 s) to be confirmed — the drain's new hello usually confirms
   * them at once; what is left stays in the spool for the next start.
   */
  function drain(): Promise<void> {
    if (!state.isDraining) {
      state.isDraining = true;
      logger.info('draining: no new tasks; running ones finish', { running: tasks.size });
      // A new hello tells the server (the protocol has no message to change it mid-connection).
      connection?.reconnect();
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        onChange = undefined;
        resolve();
      };
      const check = (): void => {
        if (isBusy()) return;
        if (!isConfirming()) return done();
        timer ??= setTimeout(done, (connection?.heartbeatIntervalMs ?? 20_000) + 5000);
      };
      onChange = check;
      check();
    });
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      state.isClosing = true;
      for (const local of [...tasks.values()]) {
        local.stopCause ??= 'stopping';
        local.controller.abort();
        clearTimeout(local.retryTimer);
      }
      await Promise.allSettled(
        [...tasks.values()].map((local) => local.run ?? local.uploading ?? Promise.resolve()),
      );
      await connection?.close();
      await worker.close();
      await client?.close();
      await releaseLock?.();
      logger.info('foreman stopped');
    })();
    return closing;
  }

  return {
    start,
    drain,
    close,
    failed,
    status: () => ({
      isConnected: connection?.isConnected ?? false,
      serverUrl: connection?.currentUrl,
      isDraining: state.isDraining,
      isDrainedByServer: state.isDrainedByServer,
      tasks: [...tasks.values()].map(({ key, attempt, phase }) => ({ key, attempt, phase })),
      free: ledger.describeFree(),
    }),
  };
}
