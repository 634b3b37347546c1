import type { WebSocket } from 'ws';
import type { TaskRequirements } from '@kolejka/spec';
import type { Principal } from '../auth/principal.js';
import type { ForemanRecord } from '../store/store.js';
import { ForemanChannel } from './foreman-channel.js';
import type { ForemanSession } from './foreman-session.js';
import type { Scheduler } from './scheduler.js';
import {
  clusterForemanOf,
  clusterSignature,
  unschedulableReason,
  type ClusterForeman,
} from './schedulability.js';

/** WebSocket close codes of the foreman channel (4000–4999 are the application's). */
export const CLOSE_CODES = {
  goingAway: 1001,
  policy: 1008,
  replaced: 4001,
  noCommonProtocol: 4002,
  forbidden: 4003,
  noHello: 4004,
} as const;

/**
 * The foremen connected to this server process, and what is known of the others': the
 * online foremen of the whole system (from the store's records, re-read every sweep) decide
 * whether a task can ever run; drains made elsewhere (CLI, another process) are applied here.
 */
export class ForemenRegistry {
  private readonly sessions = new Map<string, ForemanSession>();
  private readonly channels = new Set<ForemanChannel>();
  private cluster: ClusterForeman[] = [];
  private signature = '[]';
  private version = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(readonly scheduler: Scheduler) {}

  get clusterVersion(): number {
    return this.version;
  }

  start(): void {
    const { settings } = this.scheduler;
    this.syncTimer = setInterval(() => void this.sync(), settings.leaseSweepIntervalMs);
    this.syncTimer.unref();
    // A peer whose TCP connection died answers no ping: it is cut after one interval.
    this.pingTimer = setInterval(() => {
      for (const channel of this.channels) channel.ping();
    }, settings.heartbeatIntervalMs);
    this.pingTimer.unref();
    void this.sync();
  }

  async close(): Promise<void> {
    clearInterval(this.syncTimer);
    clearInterval(this.pingTimer);
    for (const channel of [...this.channels])
      channel.close(CLOSE_CODES.goingAway, 'the server is shutting down');
    await this.syncing;
    await Promise.all([...this.channels].map((channel) => channel.closed));
  }

  /** A WebSocket upgraded on `/api/v1/foreman` by an authenticated processor. */
  accept(ws: WebSocket, principal: Principal): void {
    if (!this.scheduler.isRunning) {
      ws.close(CLOSE_CODES.goingAway, 'the server is shutting down');
      return;
    }
    const channel = new ForemanChannel(this, ws, principal);
    this.channels.add(channel);
    void channel.closed.then(() => this.channels.delete(channel));
  }

  local(id: string): ForemanSession | undefined {
    return this.sessions.get(id);
  }

  localSessions(): IterableIterator<ForemanSession> {
    return this.sessions.values();
  }

  /** Foremen here that may get new work now. */
  available(): ForemanSession[] {
    const list: ForemanSession[] = [];
    for (const session of this.sessions.values()) if (session.mayTakeWork) list.push(session);
    return list;
  }

  /** A welcomed session; a previous connection of the same foreman is closed first. */
  register(session: ForemanSession): void {
    const previous = this.sessions.get(session.id);
    if (previous !== undefined && previous !== session) {
      this.scheduler.forget(previous);
      previous.close(CLOSE_CODES.replaced, 'replaced by a newer connection of this foreman');
    }
    this.sessions.set(session.id, session);
    this.updateCluster();
  }

  /** The session's connection ended: it is offline at once (its tasks keep their leases). */
  async unregister(session: ForemanSession): Promise<void> {
    this.scheduler.forget(session);
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    this.updateCluster();
    const { store, serverId } = this.scheduler;
    try {
      const record = await store.getForeman(session.id);
      // Another process may have its new connection already: then the record is its.
      if (record?.serverId === serverId && this.sessions.get(session.id) === undefined)
        await store.updateForeman(session.id, { isOnline: false }, this.scheduler.clock());
    } catch (error) {
      session.logger.warn('could not mark the foreman offline', { error: String(error) });
    }
  }

  unschedulableReason(requirements: TaskRequirements): string | undefined {
    return unschedulableReason(requirements, this.cluster);
  }

  /** Drains (or undrains) a foreman, wherever it is connected; undefined when unknown. */
  async drain(id: string, isDraining: boolean): Promise<ForemanRecord | undefined> {
    const { store, clock } = this.scheduler;
    const record = await store.updateForeman(id, { isDraining }, clock());
    const session = this.sessions.get(id);
    if (record !== undefined && session !== undefined) this.applyDrain(session, isDraining);
    return record;
  }

  private applyDrain(session: ForemanSession, isDraining: boolean): void {
    if (session.isDrained === isDraining) return;
    session.isDrained = isDraining;
    session.send({ type: 'foreman:drain', draining: isDraining });
    session.logger.info(isDraining ? 'foreman drained' : 'foreman undrained');
    if (!isDraining) this.scheduler.capacityFreed();
  }

  /** The foreman did not answer an assignment in time: back to the queue. */
  async acceptTimedOut(session: ForemanSession, key: string, attempt: number): Promise<void> {
    const held = session.held.get(key);
    if (held?.attempt !== attempt || held.phase !== 'offered') return;
    held.acceptTimer = undefined;
    this.scheduler.free(session, key);
    session.send({
      type: 'task:cancel',
      key,
      attempt,
      reason: `not accepted within ${this.scheduler.settings.assignTimeoutMs} ms`,
    });
    session.logger.warn('assignment not accepted in time', { task: key, attempt });
    await this.scheduler.store
      .releaseTask(key, attempt, this.scheduler.clock())
      .catch((error: unknown) => session.logger.warn('release failed', { error: String(error) }));
  }

  /**
   * Re-reads the foreman records: the online foremen of the system, drains made elsewhere,
   * and records left online by a server process that died (no heartbeat for two leases).
   */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      const { store, serverId, settings, clock, logger } = this.scheduler;
      try {
        const now = clock().getTime();
        const records = await store.listForemen();
        for (const record of records) {
          const session = this.sessions.get(record.id);
          if (session !== undefined) {
            const heardAt = record.lastHeartbeatAt?.getTime() ?? 0;
            if (record.serverId !== serverId && heardAt > session.lastHeartbeatAt.getTime()) {
              // The foreman heartbeats through another server process now: this connection
              // is a dead one the pings have not caught yet; it must not get work.
              this.scheduler.forget(session);
              session.close(CLOSE_CODES.replaced, 'the foreman is connected elsewhere');
              continue;
            }
            this.applyDrain(session, record.isDraining);
            continue;
          }
          const seenAt = (record.lastHeartbeatAt ?? record.updatedAt).getTime();
          if (record.isOnline && now - seenAt > 2 * settings.leaseMs) {
            logger.warn('foreman silent for two leases: marked offline', {
              foreman: record.id,
              serverId: record.serverId,
            });
            await store.updateForeman(record.id, { isOnline: false }, new Date(now));
            record.isOnline = false;
          }
        }
        this.updateCluster(
          records.filter((r) => r.isOnline && r.serverId !== serverId && !this.sessions.has(r.id)),
        );
      } catch (error) {
        logger.warn('reading the foremen failed', { error: String(error) });
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private remote: ClusterForeman[] = [];

  private updateCluster(remoteRecords?: ForemanRecord[]): void {
    if (remoteRecords !== undefined) this.remote = remoteRecords.map(clusterForemanOf);
    const local = [...this.sessions.values()].map((session) => ({
      id: session.id,
      tags: session.tags,
      capacity: session.capacity,
    }));
    const cluster = [...local, ...this.remote.filter((f) => !this.sessions.has(f.id))];
    cluster.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const signature = clusterSignature(cluster);
    if (signature === this.signature) return;
    this.signature = signature;
    this.cluster = cluster;
    this.version++;
    this.scheduler.foremenChanged();
  }
}
