import type { WebSocket } from 'ws';
import type { Principal } from '../accounts/principal.js';
import type { ForemanSession } from '../scheduling/foreman-session.js';
import type { ForemanRecord } from '../store/store.js';
import { CLOSE_CODES } from './close-codes.js';
import { ForemanChannel } from './foreman-channel.js';
import type { ForemanPorts } from './foreman-ports.js';

/**
 * The foremen connected to this server process, and what is known of the others': the
 * online foremen of the whole system (from the store's records, re-read every sweep) decide
 * whether a task can ever run; drains made elsewhere (CLI, another process) are applied here.
 */
export class ForemenRegistry {
  private readonly channels = new Set<ForemanChannel>();
  private syncTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private isClosed = false;

  constructor(private readonly ports: ForemanPorts) {}

  /** Starts the upkeep: record sync every lease sweep, pings every heartbeat interval. */
  start(): void {
    const { settings } = this.ports;
    this.syncTimer = setInterval(() => void this.sync(), settings.leaseSweepIntervalMs);
    this.syncTimer.unref();
    // A peer whose TCP connection died answers no ping: it is cut after one interval.
    this.pingTimer = setInterval(() => {
      for (const channel of this.channels) channel.ping();
    }, settings.heartbeatIntervalMs);
    this.pingTimer.unref();
    void this.sync();
  }

  /** Idempotent: closes every foreman connection (1001) and stops the upkeep. */
  async close(): Promise<void> {
    this.isClosed = true;
    clearInterval(this.syncTimer);
    clearInterval(this.pingTimer);
    for (const channel of [...this.channels])
      channel.close(CLOSE_CODES.goingAway, 'the server is shutting down');
    await this.syncing;
    await Promise.all([...this.channels].map((channel) => channel.closed));
  }

  /** A WebSocket upgraded on `/api/v1/foreman` by an authenticated processor. */
  accept(ws: WebSocket, principal: Principal): void {
    if (this.isClosed || !this.ports.scheduler.isRunning) {
      ws.close(CLOSE_CODES.goingAway, 'the server is shutting down');
      return;
    }
    const channel = new ForemanChannel({ ...this.ports, ws, principal, sessions: this });
    this.channels.add(channel);
    void channel.closed.then(() => this.channels.delete(channel));
  }

  local(id: string): ForemanSession | undefined {
    return this.ports.scheduler.foremen.local(id);
  }

  /** A welcomed session; a previous connection of the same foreman is closed first. */
  register(session: ForemanSession): void {
    const { scheduler } = this.ports;
    const previous = scheduler.foremen.local(session.id);
    if (previous !== undefined && previous !== session) {
      scheduler.forget(previous);
      previous.close(CLOSE_CODES.replaced, 'replaced by a newer connection of this foreman');
    }
    scheduler.foremen.add(session);
  }

  /** The session's connection ended: it is offline at once (its tasks keep their leases). */
  async unregister(session: ForemanSession): Promise<void> {
    const { scheduler, store, serverId, clock } = this.ports;
    scheduler.forget(session);
    if (!scheduler.foremen.remove(session)) return;
    try {
      const record = await store.getForeman(session.id);
      // Another process may have its new connection already: then the record is its.
      if (record?.serverId === serverId && scheduler.foremen.local(session.id) === undefined)
        await store.updateForeman(session.id, { isOnline: false }, clock());
    } catch (error) {
      session.logger.warn('could not mark the foreman offline', { error: String(error) });
    }
  }

  /** Drains (or undrains) a foreman, wherever it is connected; undefined when unknown. */
  async drain(id: string, isDraining: boolean): Promise<ForemanRecord | undefined> {
    const record = await this.ports.store.updateForeman(id, { isDraining }, this.ports.clock());
    const session = this.local(id);
    if (record !== undefined && session !== undefined) this.applyDrain(session, isDraining);
    return record;
  }

  private applyDrain(session: ForemanSession, isDraining: boolean): void {
    if (session.isDrained === isDraining) return;
    session.isDrained = isDraining;
    session.send({ type: 'foreman:drain', draining: isDraining });
    session.logger.info(isDraining ? 'foreman drained' : 'foreman undrained');
    if (!isDraining) this.ports.scheduler.capacityFreed();
  }

  /**
   * Re-reads the foreman records: the online foremen of the system, drains made elsewhere,
   * and records left online by a server process that died (no heartbeat for two leases).
   */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      const { scheduler, store, serverId, settings, clock, logger } = this.ports;
      try {
        const now = clock().getTime();
        const records = await store.listForemen();
        for (const record of records) {
          const session = scheduler.foremen.local(record.id);
          if (session !== undefined) {
            const heardAt = record.lastHeartbeatAt?.getTime() ?? 0;
            if (record.serverId !== serverId && heardAt > session.lastHeartbeatAt.getTime()) {
              // The foreman heartbeats through another server process now: this connection
              // is a dead one the pings have not caught yet; it must not get work.
              scheduler.forget(session);
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
        scheduler.foremen.setRemote(
          records.filter(
            (r) =>
              r.isOnline && r.serverId !== serverId && scheduler.foremen.local(r.id) === undefined,
          ),
        );
      } catch (error) {
        logger.warn('reading the foremen failed', { error: String(error) });
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }
}
