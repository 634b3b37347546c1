import path from 'node:path';
import { KolejkaClient } from '@kolejka/client';
import {
  KolejkaError,
  RESULTS_IN_FINISHED_PROTOCOL,
  dumpLimits,
  noopLogger,
  type Logger,
} from '@kolejka/spec';
import { createWorker, type Worker } from '@kolejka/worker';
import { CapacityLedger } from './capacity-ledger.js';
import type { DockerHost } from './docker/docker-host.js';
import type { ImageBudget } from './docker/image-budget.js';
import { openLocalDocker } from './docker/local-docker.js';
import type { ResolvedForemanOptions } from './options.js';
import { openForemanChannel } from './server/foreman-channel.js';
import type { ServerConnection } from './server/server-connection.js';
import { resolveToken } from './server/token.js';
import { Assignments, type WorkState } from './tasks/assignments.js';
import { BlobCache } from './tasks/blob-cache.js';
import type { LocalTask } from './tasks/local-task.js';
import { ResultUploads } from './tasks/result-uploads.js';
import type { ForemanRuntime, ServerFiles } from './tasks/runtime.js';
import { TempDisk } from './temp-disk.js';
import { lockTempDir } from './temp-lock.js';

export interface ForemanDeps {
  logger?: Logger;
  /** Default: `createWorker({ logger })`. */
  worker?: Worker;
  /** Blob downloads and result uploads. Default: a KolejkaClient on the options' servers. */
  server?: ServerFiles;
  /** Default: the worker's Docker client on DOCKER_HOST or the default socket. */
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
  return new ForemanDaemon(options, deps);
}

/** One foreman's parts and their lifetime; the tasks' own phases live in LocalTask. */
class ForemanDaemon implements Foreman {
  readonly failed: Promise<KolejkaError>;
  private fail: (error: KolejkaError) => void = () => undefined;
  private readonly logger: Logger;
  private readonly tasks = new Map<string, LocalTask>();
  private readonly ledger: CapacityLedger;
  private readonly state: WorkState = {
    isClosing: false,
    isDraining: false,
    isDrainedByServer: false,
  };
  private readonly worker: Worker;
  private readonly cache: BlobCache;
  private readonly uploads: ResultUploads;
  private readonly assignments: Assignments;
  private connection: ServerConnection | undefined;
  private client: KolejkaClient | undefined;
  private docker: DockerHost | undefined;
  private images: ImageBudget | undefined;
  private releaseLock: (() => Promise<void>) | undefined;
  private closing: Promise<void> | undefined;
  private onChange: (() => void) | undefined;

  constructor(
    private readonly options: ResolvedForemanOptions,
    private readonly deps: ForemanDeps,
  ) {
    this.logger = deps.logger ?? noopLogger;
    this.failed = new Promise<KolejkaError>((resolve) => (this.fail = resolve));
    this.ledger = new CapacityLedger(options.capacity, options.tags, options.concurrency);
    this.worker =
      deps.worker ?? createWorker({ logger: this.logger.child({ component: 'worker' }) });
    const server: ServerFiles = deps.server ?? {
      getBlob: (hash, file, opts) => this.getClient().getBlob(hash, file, opts),
      putResult: (key, dir, opts) => this.getClient().putResult(key, dir, opts),
      uploadResult: (key, dir, opts) => this.getClient().uploadResult(key, dir, opts),
    };
    this.cache = new BlobCache({
      dir: path.join(options.tempDir, 'blobs'),
      budgetBytes: options.blobCacheBytes,
      fetch: async (hash, destination) => {
        await server.getBlob(hash, destination);
      },
      logger: this.logger,
    });
    const runtime = this.runtime(server);
    this.uploads = new ResultUploads(runtime);
    this.assignments = new Assignments(runtime, this.uploads, this.state);
  }

  private runtime(server: ServerFiles): ForemanRuntime {
    const images = (): ImageBudget | undefined => this.images;
    return {
      options: this.options,
      logger: this.logger,
      ledger: this.ledger,
      worker: this.worker,
      cache: this.cache,
      get images() {
        return images();
      },
      server,
      tasks: this.tasks,
      disk: new TempDisk(this.options.tempDir, this.logger),
      send: (message) => this.connection?.send(message) ?? false,
      canPushResults: () =>
        this.connection?.isConnected === true &&
        (this.connection.protocol ?? 0) >= RESULTS_IN_FINISHED_PROTOCOL,
      changed: () => this.onChange?.(),
    };
  }

  private getClient(): KolejkaClient {
    if (this.client === undefined)
      throw new KolejkaError('KOLEJKA_UNAVAILABLE', 'the foreman is not started');
    return this.client;
  }

  async start(): Promise<void> {
    const { options, logger } = this;
    this.releaseLock = await lockTempDir(options.tempDir);
    try {
      const local = await openLocalDocker(
        options,
        this.docker ?? this.deps.docker,
        this.worker,
        logger,
      );
      this.docker = local.docker;
      this.images = local.images;
      await this.cache.open();
      const token = await resolveToken(options, logger);
      this.client = new KolejkaClient({
        server: options.servers,
        token,
        logger: logger.child({ component: 'client' }),
      });
      for (const entry of local.spooled)
        this.tasks.set(entry.key, this.assignments.newLocal(entry.key, entry.attempt, 'spooled'));
      this.connection = openForemanChannel({
        options,
        token,
        logger,
        tasks: this.tasks,
        state: this.state,
        assignments: this.assignments,
        unenforcedLimits: local.unenforcedLimits,
        fail: this.fail,
      });
      for (const task of this.tasks.values()) this.uploads.retryNow(task);
      logger.info('foreman started', {
        id: options.id,
        servers: options.servers,
        capacity: dumpLimits(options.capacity),
        tags: options.tags,
        concurrency: Number.isFinite(options.concurrency) ? options.concurrency : 'capacity',
      });
    } catch (error) {
      await this.releaseLock();
      this.releaseLock = undefined;
      throw error;
    }
  }

  /**
   * Resolves once nothing runs or uploads. Results sent in task:finished are then given a
   * heartbeat interval (plus 5 s) to be confirmed — the drain's new hello usually confirms
   * them at once; what is left stays in the spool for the next start.
   */
  drain(): Promise<void> {
    if (!this.state.isDraining) {
      this.state.isDraining = true;
      this.logger.info('draining: no new tasks; running ones finish', { running: this.tasks.size });
      // A new hello tells the server (the protocol has no message to change it mid-connection).
      this.connection?.reconnect();
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.onChange = undefined;
        resolve();
      };
      const check = (): void => {
        const current = [...this.tasks.values()];
        if (current.some((task) => task.isBusy)) return;
        if (!current.some((task) => task.phase === 'confirming')) return done();
        timer ??= setTimeout(done, (this.connection?.heartbeatIntervalMs ?? 20_000) + 5000);
      };
      this.onChange = check;
      check();
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state.isClosing = true;
      const tasks = [...this.tasks.values()];
      for (const task of tasks) task.stop('stopping');
      await Promise.allSettled(
        tasks.map((task) => task.run ?? task.uploading ?? Promise.resolve()),
      );
      await this.connection?.close();
      await this.worker.close();
      await this.client?.close();
      // Only a Docker client the foreman opened itself.
      if (this.deps.docker === undefined) this.docker?.close?.();
      await this.releaseLock?.();
      this.logger.info('foreman stopped');
    })();
    return this.closing;
  }

  status(): ForemanStatus {
    return {
      isConnected: this.connection?.isConnected ?? false,
      serverUrl: this.connection?.currentUrl,
      isDraining: this.state.isDraining,
      isDrainedByServer: this.state.isDrainedByServer,
      tasks: [...this.tasks.values()].map(({ key, attempt, phase }) => ({ key, attempt, phase })),
      free: this.ledger.describeFree(),
    };
  }
}
