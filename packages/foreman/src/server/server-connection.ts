import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { backoffDelayMs } from '@kolejka/cli-kit/backoff';
import {
  KolejkaError,
  noopLogger,
  parseServerMessage,
  type ForemanHeartbeat,
  type ForemanHello,
  type ForemanMessage,
  type Logger,
  type ServerMessage,
  type ServerWelcome,
} from '@kolejka/spec';

/** What the connection reports to the foreman. */
export interface ConnectionHandlers {
  /** The hello to send on a new connection (built fresh: it lists the tasks running now). */
  hello(): ForemanHello;
  heartbeat(): ForemanHeartbeat;
  welcome(welcome: ServerWelcome, url: string): void;
  message(message: Exclude<ServerMessage, ServerWelcome>): void;
  disconnected(info: { url: string; code: number; reason: string }): void;
  /** Reconnecting cannot help (refused credentials, no common protocol): the foreman should stop. */
  fatal(error: KolejkaError): void;
}

export interface ServerConnectionOptions {
  urls: readonly string[];
  token: string;
  handlers: ConnectionHandlers;
  logger?: Logger;
  /** First pause after a pass over every URL failed; doubles per pass, with full jitter. Default 250 ms. */
  backoffBaseMs?: number;
  /** Longest pause. Default 5 s. */
  backoffMaxMs?: number;
  /** Time allowed for the upgrade and the welcome. Default 10 s. */
  connectTimeoutMs?: number;
  random?: () => number;
}

/** Close codes of the server (packages/server scheduler) that change what the foreman does. */
const CLOSE_REPLACED = 4001;
const CLOSE_NO_PROTOCOL = 4002;
const CLOSE_FORBIDDEN = 4003;
/** After "replaced" (the same id connected elsewhere) wait this long before trying again. */
const REPLACED_PAUSE_MS = 5000;

type SessionEnd =
  | { kind: 'ended'; isWelcomed: boolean; code: number; reason: string }
  | { kind: 'fatal'; error: KolejkaError };

export function foremanChannelUrl(base: string): string {
  return `${base.replace(/^http/, 'ws')}/api/v1/foreman`;
}

/**
 * The foreman's one WebSocket to the server (`GET /api/v1/foreman`): says hello, keeps
 * heartbeats at the interval the welcome gives, and on any loss reconnects — to the same
 * URL first, then the other URLs of the system — with exponential backoff and full jitter
 * after each pass over all of them. A server that stops pinging is given up on.
 */
export class ServerConnection {
  private ws: WebSocket | undefined;
  private isWelcomed = false;
  private isClosed = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly logger: Logger;
  private urlIndex = 0;
  currentUrl: string | undefined;
  /** The protocol version the current connection's welcome chose. */
  protocol: number | undefined;
  /** The heartbeat interval of the last welcome. */
  heartbeatIntervalMs: number | undefined;

  constructor(private readonly options: ServerConnectionOptions) {
    this.logger = options.logger ?? noopLogger;
    if (options.urls.length === 0) throw new KolejkaError('KOLEJKA_VALIDATION', 'No server URL');
  }

  get isConnected(): boolean {
    return this.isWelcomed && this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Sends a message on the current connection; false when there is none (it is not queued). */
  send(message: ForemanMessage): boolean {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    if (!this.isWelcomed && message.type !== 'foreman:hello') return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  /** Ends the current connection; the loop connects again at once (a new hello). */
  reconnect(): void {
    this.ws?.close(1000, 'reconnecting');
  }

  async close(): Promise<void> {
    if (this.isClosed) return this.loop;
    this.isClosed = true;
    this.stop.abort();
    const ws = this.ws;
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close(1000, 'the foreman stops');
      const timer = setTimeout(() => ws.terminate(), 2000);
      await closed;
      clearTimeout(timer);
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    const { urls } = this.options;
    let pass = 0;
    let pauseMs = 0;
    while (!this.isClosed) {
      let isWelcomed = false;
      for (let tried = 0; tried < urls.length && !this.isClosed; tried++) {
        const url = urls[this.urlIndex % urls.length] as string;
        const end = await this.session(url);
        if (end.kind === 'fatal') {
          this.options.handlers.fatal(end.error);
          return;
        }
        if (end.isWelcomed) {
          isWelcomed = true;
          if (end.code === CLOSE_REPLACED) pauseMs = REPLACED_PAUSE_MS;
          break;
        }
        this.urlIndex++;
      }
      if (this.isClosed) return;
      if (isWelcomed) {
        pass = 0;
      } else {
        pauseMs = Math.max(
          pauseMs,
          backoffDelayMs(
            { baseMs: this.options.backoffBaseMs ?? 250, maxMs: this.options.backoffMaxMs ?? 5000 },
            pass++,
            this.options.random,
          ),
        );
      }
      if (pauseMs > 0) {
        this.logger.debug('reconnecting after a pause', { pauseMs: Math.round(pauseMs) });
        await sleep(pauseMs, undefined, { signal: this.stop.signal }).catch(() => undefined);
      }
      pauseMs = 0;
    }
  }

  /** One connection, from the upgrade to its close. */
  private session(url: string): Promise<SessionEnd> {
    const { handlers } = this.options;
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 10_000;
    return new Promise<SessionEnd>((resolve) => {
      this.currentUrl = url;
      this.isWelcomed = false;
      const ws = new WebSocket(foremanChannelUrl(url), {
        headers: { Authorization: `Bearer ${this.options.token}` },
        handshakeTimeout: connectTimeoutMs,
        maxPayload: 8 * 1024 * 1024,
      });
      this.ws = ws;
      let isWelcomed = false;
      let fatal: KolejkaError | undefined;
      let heartbeat: NodeJS.Timeout | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      let lastHeardMs = Date.now();
      const welcomeTimer = setTimeout(() => {
        this.logger.warn('no welcome from the server in time', { url });
        ws.terminate();
      }, connectTimeoutMs);

      const heard = (): void => {
        lastHeardMs = Date.now();
      };
      ws.on('ping', heard);
      ws.on('pong', heard);
      ws.on('open', () => {
        heard();
        ws.send(JSON.stringify(handlers.hello()));
      });
      ws.on('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0;
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          const message = `${url} refused the foreman channel (HTTP ${status}): ${body.trim().slice(0, 500)}`;
          if (status === 401 || status === 403) {
            fatal = new KolejkaError(
              status === 401 ? 'KOLEJKA_UNAUTHORIZED' : 'KOLEJKA_FORBIDDEN',
              `${message}. The foreman needs the token of a user with the processor role (--token or KOLEJKA_TOKEN)`,
            );
          } else this.logger.warn('server refused the foreman channel', { url, status });
          ws.terminate();
        });
      });
      ws.on('error', (error) => {
        this.logger.debug('foreman channel error', { url, error: error.message });
      });
      ws.on('message', (data, isBinary) => {
        heard();
        let message: ServerMessage;
        try {
          if (isBinary) throw new KolejkaError('KOLEJKA_VALIDATION', 'binary message');
          message = parseServerMessage((data as Buffer).toString('utf8'));
        } catch (error) {
          this.logger.warn('invalid message from the server ignored', {
            error: (error as Error).message,
          });
          return;
        }
        if (message.type === 'server:welcome') {
          if (isWelcomed) return;
          isWelcomed = true;
          this.isWelcomed = true;
          this.protocol = message.protocol;
          this.heartbeatIntervalMs = message.heartbeatIntervalMs;
          clearTimeout(welcomeTimer);
          const intervalMs = message.heartbeatIntervalMs;
          heartbeat = setInterval(() => {
            if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(handlers.heartbeat()));
          }, intervalMs);
          // The server pings every heartbeat interval: long silence means it is gone.
          const silenceMs = Math.max(intervalMs * 3, 5000);
          watchdog = setInterval(
            () => {
              if (Date.now() - lastHeardMs > silenceMs) {
                this.logger.warn('the server went silent; reconnecting', { url, silenceMs });
                ws.terminate();
              }
            },
            Math.min(intervalMs, 1000),
          );
          handlers.welcome(message, url);
          return;
        }
        if (message.type === 'error') {
          this.logger.warn('the server refused a message', {
            code: message.code,
            error: message.message,
          });
        }
        handlers.message(message);
      });
      ws.on('close', (code, reasonBuffer) => {
        clearTimeout(welcomeTimer);
        clearInterval(heartbeat);
        clearInterval(watchdog);
        const reason = reasonBuffer.toString();
        if (this.ws === ws) {
          this.isWelcomed = false;
        }
        if (code === CLOSE_NO_PROTOCOL || code === CLOSE_FORBIDDEN) {
          fatal ??= new KolejkaError(
            code === CLOSE_FORBIDDEN ? 'KOLEJKA_FORBIDDEN' : 'KOLEJKA_VALIDATION',
            `${url} closed the foreman channel: ${reason || code}`,
          );
        }
        if (isWelcomed) handlers.disconnected({ url, code, reason });
        if (fatal !== undefined) resolve({ kind: 'fatal', error: fatal });
        else resolve({ kind: 'ended', isWelcomed, code, reason });
      });
    });
  }
}
