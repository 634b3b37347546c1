import type { TaskUpdate } from './types.js';

export type LinkState = 'connecting' | 'live' | 'offline';
type Listener = (update: TaskUpdate) => void;

const MAX_BACKOFF_MS = 10_000;

/**
 * One WebSocket on `/api/v1/events` for the whole dashboard. It follows every task the
 * user may read (`all` for roles that read everything, else `mine`) plus tasks named by
 * open pages, and reconnects with a growing delay. Browsers cannot set headers on a
 * WebSocket, so the token travels as a subprotocol (`kolejka.bearer.<token>`).
 */
export class EventsLink {
  private ws: WebSocket | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(state: LinkState) => void>();
  private readonly namedTasks = new Map<string, number>();
  private backoffMs = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private isClosed = false;
  state: LinkState = 'connecting';

  constructor(
    private readonly token: string,
    private readonly followsAll: boolean,
  ) {
    this.connect();
  }

  onUpdate(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: LinkState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Follows one task (e.g. another user's, opened by an inspector) while a page shows it. */
  follow(key: string): () => void {
    const count = this.namedTasks.get(key) ?? 0;
    this.namedTasks.set(key, count + 1);
    if (count === 0) this.send({ type: 'events:subscribe', tasks: [key] });
    return () => {
      const left = (this.namedTasks.get(key) ?? 1) - 1;
      if (left > 0) this.namedTasks.set(key, left);
      else {
        this.namedTasks.delete(key);
        this.send({ type: 'events:unsubscribe', tasks: [key] });
      }
    };
  }

  close(): void {
    this.isClosed = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'signed out');
  }

  private connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/events`, [
      'kolejka.v1',
      `kolejka.bearer.${this.token}`,
    ]);
    this.ws = ws;
    this.setState('connecting');
    ws.onopen = () => {
      this.backoffMs = 500;
      this.setState('live');
      this.send(
        this.followsAll
          ? { type: 'events:subscribe', all: true }
          : { type: 'events:subscribe', mine: true },
      );
      if (this.namedTasks.size > 0)
        this.send({ type: 'events:subscribe', tasks: [...this.namedTasks.keys()] });
    };
    ws.onmessage = (event) => {
      let message: { type?: string };
      try {
        message = JSON.parse(String(event.data)) as { type?: string };
      } catch {
        return;
      }
      if (message.type === 'task:updated')
        for (const listener of this.listeners) listener(message as TaskUpdate);
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.isClosed) return;
      this.setState('offline');
      this.timer = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    };
  }

  private send(message: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private setState(state: LinkState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
