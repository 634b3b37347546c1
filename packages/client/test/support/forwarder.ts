import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Forwarder {
  url: string;
  /** Requests forwarded so far. */
  count: number;
  close(): Promise<void>;
}

/**
 * A plain HTTP forwarder in front of a real server that refuses WebSocket upgrades (404),
 * as a proxy or an older server without the events channel would.
 */
export async function startForwarder(target: string): Promise<Forwarder> {
  const base = new URL(target);
  const state = { count: 0 };
  const server: Server = createServer((incoming, outgoing) => {
    state.count += 1;
    const forwarded = request(
      {
        host: base.hostname,
        port: base.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (reply) => {
        outgoing.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  server.on('upgrade', (_request, socket) => {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get count() {
      return state.count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL where nothing listens: a port that was just free. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** PUT requests of blob uploads the server has answered, from its /metrics. */
export async function blobUploadCount(serverUrl: string): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (
      line.startsWith('kolejka_http_request_duration_seconds_count{') &&
      line.includes('method="PUT"') &&
      line.includes('route="/api/v1/blobs/:hash"')
    ) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
