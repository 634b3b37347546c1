import type { RawData, WebSocket } from 'ws';
import {
  KolejkaError,
  isKolejkaError,
  parseEventsClientMessage,
  parseEventsServerMessage,
  type EventsClientMessage,
  type EventsServerMessage,
  type Logger,
} from '@kolejka/spec';
import type { Principal } from '../accounts/principal.js';
import { InvalidMessageCounter, protocolErrorOf, rawBytes } from '../http/invalid-messages.js';
import { WebSocketLiveness } from '../http/websocket-liveness.js';
import type { EventSink, EventsHub, Subscription } from './events-hub.js';

const POLICY_CLOSE = 1008;
const GOING_AWAY = 1001;

/** One client WebSocket on `/api/v1/events`: subscribe / unsubscribe in, `task:updated` out. */
class EventsChannel implements EventSink {
  readonly closed: Promise<void>;
  private readonly sub: Subscription;
  private queue: Promise<void> = Promise.resolve();
  private readonly invalid = new InvalidMessageCounter();
  private readonly liveness: WebSocketLiveness;

  private readonly hub: EventsHub;
  private readonly ws: WebSocket;
  readonly principal: Principal;
  private readonly logger: Logger;

  constructor(options: { hub: EventsHub; ws: WebSocket; principal: Principal; logger: Logger }) {
    const { hub, ws } = options;
    this.hub = hub;
    this.ws = ws;
    this.principal = options.principal;
    this.logger = options.logger;
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    this.sub = hub.attach(this);
    this.liveness = new WebSocketLiveness(ws);
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      this.queue = this.queue.then(() => this.receive(data, isBinary));
    });
    ws.once('close', () => hub.detach(this.sub));
  }

  send(message: EventsServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    try {
      parseEventsServerMessage(message);
    } catch (error) {
      this.logger.error('refusing to send an invalid message', { error: String(error) });
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  close(code = GOING_AWAY, reason = 'the server is shutting down'): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }

  ping(): void {
    this.liveness.ping();
  }

  private async receive(data: RawData, isBinary: boolean): Promise<void> {
    let message: EventsClientMessage;
    try {
      if (isBinary) throw new KolejkaError('KOLEJKA_VALIDATION', 'Send JSON text messages');
      message = parseEventsClientMessage(rawBytes(data));
    } catch (error) {
      this.send(protocolErrorOf(error));
      if (this.invalid.record(Date.now())) this.close(POLICY_CLOSE, 'too many invalid messages');
      return;
    }
    try {
      if (message.type === 'events:subscribe') await this.hub.subscribe(this.sub, message);
      else this.hub.unsubscribe(this.sub, message);
    } catch (error) {
      // A refusal (`all` without the right to read every task) is the caller's, not ours.
      if (isKolejkaError(error) && error.code === 'KOLEJKA_FORBIDDEN')
        this.logger.debug('subscription refused', { error: error.message });
      else this.logger.warn('subscription failed', { error: String(error) });
      this.send(protocolErrorOf(error));
    }
  }
}

/** The client event WebSockets of this process, pinged to find dead peers. */
export interface EventsSocketsOptions {
  hub: EventsHub;
  logger: Logger;
  /** How often every socket is pinged (the heartbeat interval). */
  pingIntervalMs: number;
}

export class EventsSockets {
  private readonly channels = new Set<EventsChannel>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly hub: EventsHub;
  private readonly logger: Logger;

  constructor(options: EventsSocketsOptions) {
    this.hub = options.hub;
    this.logger = options.logger;
    this.pingTimer = setInterval(() => {
      for (const channel of this.channels) channel.ping();
    }, options.pingIntervalMs);
    this.pingTimer.unref();
  }

  accept(ws: WebSocket, principal: Principal): void {
    const channel = new EventsChannel({ hub: this.hub, ws, principal, logger: this.logger });
    this.channels.add(channel);
    void channel.closed.then(() => this.channels.delete(channel));
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    for (const channel of this.channels) channel.close();
    await Promise.all([...this.channels].map((channel) => channel.closed));
  }
}
