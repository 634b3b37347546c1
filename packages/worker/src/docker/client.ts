import http from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { apiErrorOf } from './api-error.js';
import type {
  AbortOption,
  AttachOptions,
  ContainerCreateSpec,
  ContainerInspect,
  ContainerSummary,
  DockerContainer,
  DockerEngine,
  DockerImage,
  DockerInfo,
  ImageInspect,
  ImageSummary,
  ListContainersOptions,
} from './engine.js';
import { sendExchange, type Exchange, type Sent } from './http-exchange.js';
import { withDefaultTag } from './image-name.js';

/** Where the engine listens: a unix socket or a plain-HTTP host and port. */
export type DockerEndpoint = { socketPath: string } | { host: string; port: number };

/**
 * The endpoint named by DOCKER_HOST (unix:// or tcp://), the default socket when unset, or
 * undefined when it needs what this small client does not do (TLS, ssh): then dockerode
 * is used (see open-engine.ts).
 */
export function dockerEndpointFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): DockerEndpoint | undefined {
  const host = env.DOCKER_HOST?.trim();
  if (env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH) return undefined;
  if (!host) return { socketPath: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const match = /^(?:tcp|http):\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
  if (match) return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  return undefined;
}

export interface DockerClientOptions {
  /**
   * How long a request may take before it fails. Requests that last as long as a container
   * (`wait`, the attached stream, a pull's progress) are bounded by their `abortSignal`
   * instead; for those the timeout covers getting the answer's headers. Default 60 s.
   */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

function flag(value: boolean | undefined): number {
  return value ? 1 : 0;
}

/**
 * A minimal Docker Engine API client over node:http for the calls Kolejka makes. The worker
 * CLI starts with it because loading dockerode (ssh2, grpc, protobufjs) costs 150–250 ms
 * per process here, more than half of a trivial container's whole run.
 */
export class DockerClient implements DockerEngine {
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly requestTimeoutMs: number;
  private prefetchedInfo: Promise<DockerInfo> | undefined;

  constructor(
    private readonly endpoint: DockerEndpoint,
    options: DockerClientOptions = {},
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private send(exchange: Exchange, headers: http.OutgoingHttpHeaders = {}): Sent {
    const target = { ...this.endpoint, agent: this.agent };
    return sendExchange(target, exchange, this.requestTimeoutMs, headers);
  }

  /** The JSON of a successful answer; an error status becomes a DockerApiError. */
  async call<T>(exchange: Exchange): Promise<T> {
    const { response, isDone, read } = this.send(exchange);
    try {
      const answer = await response;
      const text = await read(answer);
      const status = answer.statusCode ?? 0;
      if (status >= 400) throw apiErrorOf(status, text);
      try {
        return (text === '' ? undefined : JSON.parse(text)) as T;
      } catch {
        return text as T;
      }
    } finally {
      isDone();
    }
  }

  /**
   * A streamed answer (a pull's progress): the timeout covers the headers; the signal, when
   * given, ends the stream too.
   */
  private async stream(exchange: Exchange): Promise<Readable> {
    const { response, isDone, read } = this.send(exchange);
    const answer = await response;
    const status = answer.statusCode ?? 0;
    if (status >= 400) {
      const text = await read(answer).finally(isDone);
      throw apiErrorOf(status, text);
    }
    // The timeout was for the headers; the signal keeps bounding the stream.
    const { abortSignal } = exchange;
    isDone();
    if (abortSignal) {
      const onAbort = (): void => {
        answer.destroy(
          abortSignal.reason instanceof Error ? abortSignal.reason : new Error('aborted'),
        );
      };
      abortSignal.addEventListener('abort', onAbort, { once: true });
      answer.on('close', () => abortSignal.removeEventListener('abort', onAbort));
    }
    return answer;
  }

  ping(options: AbortOption = {}): Promise<unknown> {
    return this.call({ method: 'GET', path: '/_ping', ...options });
  }

  info(options: AbortOption = {}): Promise<DockerInfo> {
    const prefetched = this.prefetchedInfo;
    this.prefetchedInfo = undefined;
    return prefetched ?? this.call<DockerInfo>({ method: 'GET', path: '/info', ...options });
  }

  /**
   * Asks for `/info` now; the next `info()` gets this answer. The CLI calls it before
   * loading its modules: the engine takes 10–90 ms to answer, time the process spends
   * loading anyway.
   */
  prefetchInfo(): void {
    const info = this.call<DockerInfo>({ method: 'GET', path: '/info' });
    info.catch(() => undefined); // reported to whoever takes it
    this.prefetchedInfo = info;
  }

  async createContainer(spec: ContainerCreateSpec): Promise<DockerContainer> {
    const { name, ...body } = spec;
    const path = `/containers/create?name=${encodeURIComponent(name)}`;
    const created = await this.call<{ Id: string }>({ method: 'POST', path, body });
    return this.getContainer(created.Id);
  }

  getContainer(id: string): DockerContainer {
    const base = `/containers/${encodeURIComponent(id)}`;
    return {
      id,
      start: () => this.call({ method: 'POST', path: `${base}/start` }),
      wait: ({ condition, abortSignal }) =>
        this.call({
          method: 'POST',
          path: `${base}/wait?condition=${condition}`,
          timeoutMs: 0,
          ...(abortSignal ? { abortSignal } : {}),
        }),
      attach: (options) => this.attach(base, options),
      inspect: () => this.call<ContainerInspect>({ method: 'GET', path: `${base}/json` }),
      kill: (options = {}) =>
        this.call({ method: 'POST', path: `${base}/kill?signal=${options.signal ?? 'SIGKILL'}` }),
      remove: (options = {}) =>
        this.call({
          method: 'DELETE',
          path: `${base}?force=${flag(options.force)}&v=${flag(options.v)}`,
        }),
    };
  }

  listContainers(options: ListContainersOptions): Promise<ContainerSummary[]> {
    const { all, filters, abortSignal } = options;
    const query = `all=${flag(all)}&filters=${encodeURIComponent(JSON.stringify(filters ?? {}))}`;
    return this.call({
      method: 'GET',
      path: `/containers/json?${query}`,
      ...(abortSignal ? { abortSignal } : {}),
    });
  }

  /** A hijacked connection (HTTP upgrade) carrying stdin one way and the output the other. */
  private async attach(base: string, options: AttachOptions): Promise<Socket> {
    const query = `stream=1&stdin=${flag(options.stdin)}&stdout=${flag(options.stdout)}&stderr=${flag(options.stderr)}`;
    const { request, response, isDone, read } = this.send(
      { method: 'POST', path: `${base}/attach?${query}` },
      { Connection: 'Upgrade', Upgrade: 'tcp' },
    );
    const upgraded = new Promise<Socket>((resolve) => {
      request.on('upgrade', (_response, socket, head) => {
        isDone();
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
    });
    const refused = response.then(async (answer) => {
      const text = await read(answer).finally(isDone);
      throw apiErrorOf(answer.statusCode ?? 0, text);
    });
    return Promise.race([upgraded, refused]);
  }

  getImage(name: string): DockerImage {
    const path = `/images/${encodeURIComponent(name)}`;
    return {
      inspect: (options = {}) =>
        this.call<ImageInspect>({ method: 'GET', path: `${path}/json`, ...options }),
      remove: (options = {}) => this.call({ method: 'DELETE', path, ...options }),
    };
  }

  listImages(options: AbortOption = {}): Promise<ImageSummary[]> {
    return this.call({ method: 'GET', path: '/images/json', ...options });
  }

  /** Starts a pull; failures come either as an error status or inside the progress stream. */
  pull(image: string, options: AbortOption = {}): Promise<Readable> {
    const reference = encodeURIComponent(withDefaultTag(image));
    return this.stream({
      method: 'POST',
      path: `/images/create?fromImage=${reference}`,
      ...options,
    });
  }

  /** Closes idle keep-alive connections (so a CLI process can exit at once). */
  close(): void {
    this.agent.destroy();
  }
}
