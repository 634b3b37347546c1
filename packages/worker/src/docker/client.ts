import http from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type {
  AttachOptions,
  ContainerCreateSpec,
  ContainerInspect,
  DockerContainer,
  DockerEngine,
  DockerInfo,
} from './engine.js';

/** Where the engine listens: a unix socket or a plain-HTTP host and port. */
export type DockerEndpoint = { socketPath: string } | { host: string; port: number };

/**
 * The endpoint named by DOCKER_HOST (unix:// or tcp://), the default socket when unset, or
 * undefined when it needs what this small client does not do (TLS, ssh): then the worker
 * uses dockerode.
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

/** An Engine API error in dockerode's shape (statusCode, json), so both clients read alike. */
class DockerApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly json: unknown,
    message: string,
  ) {
    super(`(HTTP code ${statusCode}) ${message}`);
  }
}

interface Response {
  status: number;
  body: Buffer;
}

/**
 * A minimal Docker Engine API client over node:http for the calls the worker makes. The
 * CLI starts with it because loading dockerode (ssh2, grpc, protobufjs) costs 150–250 ms
 * per process here, more than half of a trivial container's whole run.
 */
export class DockerClient implements DockerEngine {
  private readonly agent = new http.Agent({ keepAlive: true });
  private prefetchedInfo: Promise<DockerInfo> | undefined;

  constructor(private readonly endpoint: DockerEndpoint) {}

  private options(
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders = {},
  ): http.RequestOptions {
    return { ...this.endpoint, method, path, headers, agent: this.agent };
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = payload
      ? { 'Content-Type': 'application/json', 'Content-Length': payload.length }
      : {};
    return new Promise((resolve, reject) => {
      const request = http.request(this.options(method, path, headers), (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(payload);
    });
  }

  /** The JSON of a successful answer; an error status becomes a DockerApiError. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    const text = response.body.toString('utf8');
    let json: unknown = undefined;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    if (response.status >= 400) {
      const message =
        typeof (json as { message?: unknown } | undefined)?.message === 'string'
          ? (json as { message: string }).message
          : text.trim();
      throw new DockerApiError(response.status, json, message);
    }
    return json as T;
  }

  async createContainer(spec: ContainerCreateSpec): Promise<DockerContainer> {
    const { name, ...body } = spec;
    const created = await this.call<{ Id: string }>(
      'POST',
      `/containers/create?name=${encodeURIComponent(name)}`,
      body,
    );
    return this.getContainer(created.Id);
  }

  getContainer(id: string): DockerContainer {
    const base = `/containers/${encodeURIComponent(id)}`;
    return {
      id,
      start: () => this.call('POST', `${base}/start`),
      wait: ({ condition }) => this.call('POST', `${base}/wait?condition=${condition}`),
      attach: (options) => this.attach(base, options),
      inspect: () => this.call<ContainerInspect>('GET', `${base}/json`),
      kill: (options = {}) =>
        this.call('POST', `${base}/kill?signal=${options.signal ?? 'SIGKILL'}`),
      remove: (options = {}) =>
        this.call('DELETE', `${base}?force=${options.force ? 1 : 0}&v=${options.v ? 1 : 0}`),
    };
  }

  /** A hijacked connection (HTTP upgrade) carrying stdin one way and the output the other. */
  private attach(base: string, options: AttachOptions): Promise<Socket> {
    const flag = (value: boolean): number => (value ? 1 : 0);
    const query = `stream=1&stdin=${flag(options.stdin)}&stdout=${flag(options.stdout)}&stderr=${flag(options.stderr)}`;
    return new Promise((resolve, reject) => {
      const request = http.request(
        // A hijacked socket must not go back to the pool: no agent.
        {
          ...this.endpoint,
          method: 'POST',
          path: `${base}/attach?${query}`,
          headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
        },
      );
      request.on('upgrade', (_response, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          reject(
            new DockerApiError(
              response.statusCode ?? 0,
              undefined,
              Buffer.concat(chunks).toString('utf8').trim(),
            ),
          ),
        );
      });
      request.on('error', reject);
      request.end();
    });
  }

  getImage(name: string): { inspect(): Promise<unknown> } {
    return { inspect: () => this.call('GET', `/images/${encodeURIComponent(name)}/json`) };
  }

  /** Starts a pull; failures come either as an error status or inside the progress stream. */
  pull(image: string): Promise<Readable> {
    const last = image.split('/').pop() ?? image;
    const reference = last.includes(':') || last.includes('@') ? image : `${image}:latest`;
    return new Promise((resolve, reject) => {
      const request = http.request(
        this.options('POST', `/images/create?fromImage=${encodeURIComponent(reference)}`),
        (response) => {
          if ((response.statusCode ?? 0) < 400) {
            resolve(response);
            return;
          }
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = text;
            try {
              json = JSON.parse(text);
            } catch {
              // plain text
            }
            const message = (json as { message?: unknown }).message;
            reject(
              new DockerApiError(
                response.statusCode ?? 0,
                json,
                typeof message === 'string' ? message : text.trim(),
              ),
            );
          });
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  info(): Promise<DockerInfo> {
    const prefetched = this.prefetchedInfo;
    this.prefetchedInfo = undefined;
    return prefetched ?? this.call<DockerInfo>('GET', '/info');
  }

  /**
   * Asks for `/info` now; the next `info()` gets this answer. The CLI calls it before
   * loading its modules: the engine takes 10–90 ms to answer, time the process spends
   * loading anyway.
   */
  prefetchInfo(): void {
    const info = this.call<DockerInfo>('GET', '/info');
    info.catch(() => undefined); // reported to whoever takes it
    this.prefetchedInfo = info;
  }

  /** Closes idle keep-alive connections (so a CLI process can exit at once). */
  close(): void {
    this.agent.destroy();
  }
}
