import type { RawData, WebSocket } from 'ws';
import {
  FOREMAN_PROTOCOL_VERSIONS,
  RESULT_ACK_PROTOCOL,
  KolejkaError,
  combineLimits,
  demandOf,
  dumpLimits,
  parseForemanMessage,
  parseLimits,
  type ForemanHello,
  type ForemanMessage,
  type TaskAttempt,
  type TaskFinished,
} from '@kolejka/spec';
import { isAdmin, type Principal } from '../accounts/principal.js';
import { MAX_REJECTIONS } from '../scheduling/rejection-backoff.js';
import { InvalidMessageCounter, protocolErrorOf, rawBytes } from '../http/invalid-messages.js';
import { WebSocketLiveness } from '../http/websocket-liveness.js';
import { attemptOverReason } from '../scheduling/attempt-outcome.js';
import { ForemanSession } from '../scheduling/foreman-session.js';
import { requirementsOf } from '../scheduling/queue-index.js';
import { taskNotFound } from '../tasks/task-access.js';
import { CLOSE_CODES } from './close-codes.js';
import { releaseUnheld } from './release-unheld.js';
import type { ForemanPorts } from './foreman-ports.js';
import { linkOf } from './websocket-link.js';

export interface ForemanChannelOptions extends ForemanPorts {
  ws: WebSocket;
  principal: Principal;
  /** Where a welcomed session joins, and leaves when the connection ends. */
  sessions: {
    register(session: ForemanSession): void;
    unregister(session: ForemanSession): Promise<void>;
  };
}

/**
 * One WebSocket of a foreman: validates every message with the spec's parser, answers bad
 * ones with an `error` message (and cuts a peer that keeps sending them), negotiates the
 * protocol in the hello, then turns the foreman's messages into store transitions. Messages
 * of one connection are handled one at a time, in order.
 */
export class ForemanChannel {
  readonly closed: Promise<void>;
  private session: ForemanSession | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly invalid = new InvalidMessageCounter();
  private readonly liveness: WebSocketLiveness;
  private readonly helloTimer: NodeJS.Timeout;
  private readonly ports: ForemanChannelOptions;
  private readonly ws: WebSocket;
  private readonly principal: Principal;
  /** The protocol version the welcome chose (0 before the hello). */
  private protocol = 0;

  constructor(options: ForemanChannelOptions) {
    this.ports = options;
    const { ws, settings } = options;
    this.ws = ws;
    this.principal = options.principal;
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    this.liveness = new WebSocketLiveness(ws);
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      this.queue = this.queue.then(() => this.receive(data, isBinary));
    });
    ws.once('close', () => {
      clearTimeout(this.helloTimer);
      const session = this.session;
      if (session === undefined) return;
      session.isClosed = true;
      session.logger.info('foreman disconnected');
      this.queue = this.queue.then(() => this.ports.sessions.unregister(session));
    });
    this.helloTimer = setTimeout(
      () => this.close(CLOSE_CODES.noHello, 'no foreman:hello in time'),
      Math.max(settings.heartbeatIntervalMs * 2, 5000),
    );
    this.helloTimer.unref();
  }

  ping(): void {
    this.liveness.ping();
  }

  close(code: number, reason: string): void {
    if (this.session !== undefined) this.session.close(code, reason);
    else if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }

  private sendRaw(message: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private refuse(error: unknown): void {
    this.sendRaw(protocolErrorOf(error));
    if (this.invalid.record(Date.now()))
      this.close(CLOSE_CODES.policy, 'too many invalid messages');
  }

  private async receive(data: RawData, isBinary: boolean): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return;
    let message: ForemanMessage;
    try {
      if (isBinary) throw new KolejkaError('KOLEJKA_VALIDATION', 'Send JSON text messages');
      message = parseForemanMessage(rawBytes(data));
    } catch (error) {
      this.refuse(error);
      return;
    }
    try {
      await this.handle(message);
    } catch (error) {
      if (error instanceof KolejkaError) this.refuse(error);
      else {
        this.ports.logger.error('foreman message failed', {
          type: message.type,
          error: String(error),
        });
        this.sendRaw({ type: 'error', code: 'KOLEJKA_INTERNAL', message: 'Internal error' });
      }
    }
  }

  private async handle(message: ForemanMessage): Promise<void> {
    if (message.type === 'foreman:hello') return this.hello(message);
    const session = this.session;
    if (session === undefined)
      throw new KolejkaError('KOLEJKA_VALIDATION', 'Send foreman:hello first');
    const { scheduler, store } = this.ports;
    const now = this.ports.clock();
    switch (message.type) {
      case 'foreman:heartbeat':
        return this.heartbeat(session, message.running);
      case 'task:accepted': {
        const held = session.held.get(message.key);
        if (held?.attempt !== message.attempt || held.phase === 'claiming') {
          return this.withdraw(session, message, 'this assignment is no longer yours');
        }
        clearTimeout(held.acceptTimer);
        held.acceptTimer = undefined;
        if (held.phase === 'offered') held.phase = 'accepted';
        return;
      }
      case 'task:rejected': {
        if (!this.isHeld(session, message)) return;
        scheduler.free(session, message.key);
        const rejections = scheduler.parkRejected(message.key, message.isTransient !== true);
        session.logger.info('task rejected', { task: message.key, reason: message.reason });
        if (rejections >= MAX_REJECTIONS) {
          const reason = `rejected ${rejections} times by the foremen, last by foreman ${session.id}: ${message.reason}`;
          await store.failTask(message.key, reason, now, message.attempt);
          return;
        }
        await store.releaseTask(message.key, message.attempt, now);
        return;
      }
      case 'task:started': {
        const held = session.held.get(message.key);
        if (held?.attempt !== message.attempt) {
          return this.withdraw(session, message, 'this assignment is no longer yours');
        }
        clearTimeout(held.acceptTimer);
        held.acceptTimer = undefined;
        held.phase = 'running';
        if ((await store.startTask(message.key, message.attempt, now)) === undefined) {
          scheduler.free(session, message.key);
          return this.withdraw(session, message, 'the attempt is no longer current');
        }
        return;
      }
      case 'task:finished': {
        const held = session.held.get(message.key);
        const isHeld = held?.attempt === message.attempt && held.phase !== 'claiming';
        // Free first: the next assignment's claim joins the same group commit as this result.
        if (isHeld) scheduler.free(session, message.key);
        if (message.result !== undefined) await this.storeResult(message, isHeld);
        return;
      }
      case 'task:failed': {
        if (!this.isHeld(session, message)) return;
        scheduler.free(session, message.key);
        const reason = `foreman ${session.id}: ${message.reason}`;
        await store.failTask(message.key, reason, now, message.attempt);
        session.logger.warn('task failed on the foreman', { task: message.key, reason });
        return;
      }
    }
  }

  /**
   * A result carried by `task:finished`: stored as the HTTP PUT stores it; a refusal is
   * answered with an `error` naming the task. For an attempt this connection holds, the
   * assignment check is already done (the claim named this foreman); the store fences.
   */
  private async storeResult(message: TaskFinished, isHeld: boolean): Promise<void> {
    const { key, attempt } = message;
    const { postResult, store, logger } = this.ports;
    try {
      if (postResult === undefined)
        throw new KolejkaError('KOLEJKA_VALIDATION', 'This server takes results over HTTP only');
      const task = isHeld ? undefined : await store.getTask(key);
      if (!isHeld && task === undefined) throw taskNotFound(key);
      await postResult(this.principal, { key, attempt, result: message.result, task });
      // The foreman drops its spooled copy at once instead of at the next heartbeat.
      if (this.protocol >= RESULT_ACK_PROTOCOL)
        this.sendRaw({ type: 'result:stored', key, attempt });
    } catch (error) {
      const refusal = protocolErrorOf(error);
      if (refusal.code === 'KOLEJKA_INTERNAL')
        logger.error('storing a result failed', { task: key, attempt, error: String(error) });
      const details = isPlainObject(refusal.details) ? refusal.details : {};
      this.sendRaw({ ...refusal, details: { ...details, key, attempt } });
    }
  }

  private isHeld(session: ForemanSession, task: TaskAttempt): boolean {
    return session.held.get(task.key)?.attempt === task.attempt;
  }

  private withdraw(session: ForemanSession, task: TaskAttempt, reason: string): void {
    session.send({ type: 'task:cancel', key: task.key, attempt: task.attempt, reason });
  }

  private async heartbeat(session: ForemanSession, running: TaskAttempt[]): Promise<void> {
    const { store, clock, settings, serverId } = this.ports;
    const now = clock();
    session.lastHeartbeatAt = now;
    const renewed = new Set(
      running.length === 0
        ? []
        : await store.renewLeases(session.id, running, new Date(now.getTime() + settings.leaseMs)),
    );
    for (const task of running) if (!renewed.has(task.key)) await this.withdrawLost(session, task);
    // Also heals the record if another process marked it offline by mistake.
    await store.updateForeman(session.id, { lastHeartbeatAt: now, isOnline: true, serverId }, now);
  }

  /**
   * A task the foreman still lists whose lease could not be renewed: its attempt is over. The
   * foreman is told why, as the event would tell it (which may not have been read yet). For a
   * result sent in task:finished this cancel is also how the foreman learns it was stored.
   */
  private async withdrawLost(session: ForemanSession, task: TaskAttempt): Promise<void> {
    const record = await this.ports.store.getTask(task.key);
    const reason =
      record === undefined
        ? 'the task was deleted'
        : record.state === 'finished' && record.attempt === task.attempt
          ? 'the result of this attempt is stored'
          : attemptOverReason(record, task.attempt);
    this.withdraw(session, task, reason);
  }

  private async hello(hello: ForemanHello): Promise<void> {
    if (this.session !== undefined)
      throw new KolejkaError('KOLEJKA_VALIDATION', 'foreman:hello was already sent');
    const { scheduler, store, settings, serverId, clock, logger } = this.ports;
    const server: readonly number[] = FOREMAN_PROTOCOL_VERSIONS;
    const protocol = Math.max(...hello.protocols.filter((version) => server.includes(version)));
    if (!Number.isFinite(protocol)) {
      this.sendRaw({
        type: 'error',
        code: 'KOLEJKA_VALIDATION',
        message: `No common protocol version: the server speaks ${server.join(', ')}, the foreman ${hello.protocols.join(', ')}`,
        details: { serverProtocols: server, foremanProtocols: hello.protocols },
      });
      this.close(CLOSE_CODES.noCommonProtocol, 'no common protocol version');
      return;
    }
    const existing = await store.getForeman(hello.foremanId);
    if (
      existing !== undefined &&
      existing.username !== this.principal.username &&
      !isAdmin(this.principal)
    ) {
      this.sendRaw({
        type: 'error',
        code: 'KOLEJKA_FORBIDDEN',
        message: `Foreman id ${JSON.stringify(hello.foremanId)} belongs to another processor user`,
      });
      this.close(CLOSE_CODES.forbidden, 'foreman id of another user');
      return;
    }
    clearTimeout(this.helloTimer);
    const now = clock();
    const capacity = parseLimits(hello.capacity);
    const session = new ForemanSession({
      id: hello.foremanId,
      username: this.principal.username,
      link: linkOf(this.ws),
      tags: hello.tags,
      capacity,
      version: hello.version,
      logger: logger.child({ foreman: hello.foremanId }),
      now,
    });
    session.isDrained = existing?.isDraining ?? false;
    session.isSelfDraining = hello.draining === true;

    // Leases of the tasks it still runs are kept when their attempt is still its own.
    const leaseExpiresAt = new Date(now.getTime() + settings.leaseMs);
    const renewed = new Set(
      hello.running.length === 0
        ? []
        : await store.renewLeases(hello.foremanId, hello.running, leaseExpiresAt),
    );
    const kept: TaskAttempt[] = [];
    const dropped: TaskAttempt[] = [];
    for (const task of hello.running) {
      const record = renewed.has(task.key) ? await store.getTask(task.key) : undefined;
      if (record === undefined) {
        dropped.push({ key: task.key, attempt: task.attempt });
        continue;
      }
      kept.push({ key: task.key, attempt: task.attempt });
      const requirements = requirementsOf(record.spec);
      scheduler.hold(session, {
        key: task.key,
        attempt: task.attempt,
        demand: demandOf(combineLimits(requirements.limits, capacity)),
        isExclusive: requirements.exclusive === true,
        phase: record.state === 'running' ? 'running' : 'accepted',
        acceptTimer: undefined,
      });
    }
    await releaseUnheld({ store, logger }, hello, now);
    await store.upsertForeman({
      id: hello.foremanId,
      username: this.principal.username,
      tags: hello.tags,
      capacity: dumpLimits(capacity),
      version: hello.version,
      isOnline: true,
      isDraining: session.isDrained,
      serverId,
      lastHeartbeatAt: now,
      updatedAt: now,
    });
    if (this.ws.readyState !== this.ws.OPEN) {
      scheduler.forget(session);
      return;
    }
    this.session = session;
    this.protocol = protocol;
    session.send({
      type: 'server:welcome',
      protocol,
      serverId,
      heartbeatIntervalMs: settings.heartbeatIntervalMs,
      leaseMs: settings.leaseMs,
      kept,
      dropped,
      draining: session.isDrained,
    });
    session.logger.info('foreman connected', {
      protocol,
      kept: kept.length,
      dropped: dropped.length,
      draining: session.isDrained || session.isSelfDraining,
    });
    this.ports.sessions.register(session);
    scheduler.capacityFreed();
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
