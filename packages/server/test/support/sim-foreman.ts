import WebSocket from 'ws';
import {
  FOREMAN_PROTOCOL_VERSIONS,
  parseServerMessage,
  type LimitsJson,
  type ServerMessage,
  type ServerWelcome,
  type TaskAssign,
  type TaskAttempt,
} from '@kolejka/spec';

/** What a simulated foreman does with an assignment. */
export type SimMode =
  /** accept, start, PUT the result over HTTP, then task:finished (after `runMs`). */
  | 'complete'
  /** accept and start, then hold the task until told otherwise. */
  | 'hold'
  | 'reject'
  /** say nothing (the server's accept timeout applies). */
  | 'ignore';

export interface SimForemanOptions {
  /** Server base URLs (`http://…`); on a lost connection the next one is tried (failover). */
  urls: string[];
  token: string;
  id: string;
  tags?: string[];
  capacity?: LimitsJson;
  protocols?: number[];
  mode?: SimMode;
  /** How long a task "runs" in `complete` mode. Default 0. */
  runMs?: number;
  /** Send heartbeats at the interval of the welcome. Default true. */
  isHeartbeating?: boolean;
  /** Reconnect (to the next URL) when the connection drops. Default false. */
  isReconnecting?: boolean;
  /** Sent in the hello. */
  isDraining?: boolean;
  /**
   * How `complete` reports results: `http` (PUT, then task:finished; the default) or `push`
   * (in task:finished, protocol 2).
   */
  results?: 'http' | 'push';
}

interface Waiter {
  predicate: (message: ServerMessage) => boolean;
  resolve: (message: ServerMessage) => void;
}

/** A real WebSocket client speaking the foreman protocol, for tests and the benchmark. */
export class SimForeman {
  readonly messages: ServerMessage[] = [];
  /** Tasks it runs now: key → attempt. */
  readonly running = new Map<string, number>();
  /** Every assignment received, in order (key, attempt, at). */
  readonly assignments: { key: string; attempt: number; at: number; limits: LimitsJson }[] = [];
  /** Keys whose result was stored (201 or 200); with `results: 'push'`, sent in task:finished. */
  readonly completed: string[] = [];
  /** Result PUTs refused, with the status and message. */
  readonly refusedResults: { key: string; status: number; message: string }[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  welcome: ServerWelcome | undefined;
  ws: WebSocket | undefined;
  private readonly waiters = new Set<Waiter>();
  private heartbeat: NodeJS.Timeout | undefined;
  private urlIndex = 0;
  private isStopped = false;
  mode: SimMode;

  constructor(readonly options: SimForemanOptions) {
    this.mode = options.mode ?? 'complete';
  }

  get url(): string {
    return this.options.urls[this.urlIndex % this.options.urls.length] ?? '';
  }

  /** Connects and says hello; resolves with the welcome (or rejects with the close). */
  connect(): Promise<ServerWelcome> {
    const seen = this.messages.length;
    const ws = new WebSocket(`${this.url.replace(/^http/, 'ws')}/api/v1/foreman`, {
      headers: { Authorization: `Bearer ${this.options.token}` },
    });
    this.ws = ws;
    ws.on('message', (data) => this.receive((data as Buffer).toString()));
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => {
      this.closes.push({ code, reason: reason.toString() });
      clearInterval(this.heartbeat);
      if (this.ws === ws && this.options.isReconnecting === true && !this.isStopped) {
        this.urlIndex++;
        setTimeout(() => void this.connect().catch(() => undefined), 20).unref();
      }
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        this.sendRaw({
          type: 'foreman:hello',
          protocols: this.options.protocols ?? [...FOREMAN_PROTOCOL_VERSIONS],
          foremanId: this.options.id,
          version: 'sim-1',
          tags: this.options.tags ?? [],
          capacity: this.options.capacity ?? { cpus: 4, memory: '4G' },
          running: this.runningList(),
          ...(this.options.isDraining === true ? { draining: true } : {}),
        });
      });
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode ?? 0}`)),
      );
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${String(reason)}`)));
      const isNewWelcome = (m: ServerMessage): boolean =>
        m.type === 'server:welcome' && this.messages.indexOf(m) >= seen;
      void this.next(isNewWelcome, 10_000).then((message) => {
        this.welcome = message as ServerWelcome;
        for (const task of this.welcome.dropped) {
          const hadResult = this.mode === 'complete' && this.running.get(task.key) === task.attempt;
          this.running.delete(task.key);
          // As a real foreman does: a result whose post may have been lost with the old
          // server is posted again to learn its fate (200: it was stored; 409: attempt lost).
          if (hadResult) void this.putResult(task.key, task.attempt).catch(() => undefined);
        }
        // Results a lost connection kept from being posted go to the new server.
        if (this.mode === 'complete')
          for (const task of this.welcome.kept) void this.complete(task.key, task.attempt);
        if (this.options.isHeartbeating !== false) {
          this.heartbeat = setInterval(
            () => this.sendRaw({ type: 'foreman:heartbeat', running: this.runningList() }),
            this.welcome.heartbeatIntervalMs,
          );
          this.heartbeat.unref();
        }
        resolve(this.welcome);
      }, reject);
    });
  }

  runningList(): TaskAttempt[] {
    return [...this.running].map(([key, attempt]) => ({ key, attempt }));
  }

  sendRaw(message: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN)
      this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message (already received or future) matching; rejects after the timeout. */
  next(predicate: (message: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
    const seen = this.messages.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (message) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(message);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.options.id}: no such message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Forgets the messages received so far (so `next` waits for new ones). */
  clearMessages(): void {
    this.messages.length = 0;
  }

  /** Cuts the TCP connection with no close frame and stops heartbeating (a crashed node). */
  kill(): void {
    this.isStopped = true;
    clearInterval(this.heartbeat);
    this.ws?.terminate();
  }

  /** Stops heartbeating but keeps the socket (a frozen foreman). */
  freeze(): void {
    clearInterval(this.heartbeat);
  }

  async close(): Promise<void> {
    this.isStopped = true;
    clearInterval(this.heartbeat);
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }

  /** PUTs the result of an attempt; returns the HTTP status. */
  async putResult(key: string, attempt: number, exit = 0): Promise<number> {
    const response = await fetch(`${this.url}/api/v1/tasks/${key}/result`, {
      method: 'PUT',
      headers: {
        Authorization: `Bearer ${this.options.token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ attempt, result: { id: key, result: exit } }),
    });
    const body = (await response.json()) as { error?: { message: string } };
    if (response.status === 200 || response.status === 201) this.completed.push(key);
    else
      this.refusedResults.push({
        key,
        status: response.status,
        message: body.error?.message ?? '',
      });
    return response.status;
  }

  private receive(text: string): void {
    const message = parseServerMessage(text);
    this.messages.push(message);
    for (const waiter of [...this.waiters]) if (waiter.predicate(message)) waiter.resolve(message);
    if (message.type === 'task:assign') this.onAssign(message);
    if (message.type === 'task:cancel' && this.running.get(message.key) === message.attempt)
      this.running.delete(message.key);
  }

  private onAssign(assign: TaskAssign): void {
    const { key, attempt } = assign;
    this.assignments.push({ key, attempt, at: performance.now(), limits: assign.limits });
    switch (this.mode) {
      case 'ignore':
        return;
      case 'reject':
        this.sendRaw({ type: 'task:rejected', key, attempt, reason: 'simulated rejection' });
        return;
      case 'hold':
        this.running.set(key, attempt);
        this.sendRaw({ type: 'task:accepted', key, attempt });
        this.sendRaw({ type: 'task:started', key, attempt });
        return;
      case 'complete':
        this.running.set(key, attempt);
        this.sendRaw({ type: 'task:accepted', key, attempt });
        this.sendRaw({ type: 'task:started', key, attempt });
        setTimeout(() => void this.complete(key, attempt), this.options.runMs ?? 0);
        return;
    }
  }

  /** Sends task:finished carrying the result (protocol 2): the server answers only refusals. */
  pushResult(key: string, attempt: number, result: unknown = { id: key, result: 0 }): void {
    this.sendRaw({ type: 'task:finished', key, attempt, result });
  }

  /** Posts the result of a held task and reports it finished. */
  async complete(key: string, attempt: number): Promise<void> {
    if (this.running.get(key) !== attempt) return;
    if (this.options.results === 'push') {
      this.running.delete(key);
      this.pushResult(key, attempt);
      this.completed.push(key);
      return;
    }
    try {
      const status = await this.putResult(key, attempt);
      this.running.delete(key);
      if (status === 200 || status === 201) this.sendRaw({ type: 'task:finished', key, attempt });
    } catch {
      // The server went away: the task stays listed and is reported after a reconnect.
    }
  }
}
