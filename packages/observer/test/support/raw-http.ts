import net from 'node:net';

export interface RawReply {
  status: number;
  headers: Map<string, string>;
  body: string;
  /** The body parsed as JSON, or undefined when empty. */
  json: Record<string, unknown> | undefined;
  /** The first chunk read from the socket (the whole reply should come in one write). */
  firstChunk: string;
}

/** Sends exactly `text` on the unix socket and reads the reply until the server closes. */
export function rawRequest(socketPath: string, text: string | Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      const head = all.slice(0, split);
      const body = all.slice(split + 4);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body,
        json: body === '' ? undefined : (JSON.parse(body) as Record<string, unknown>),
        firstChunk: chunks[0]?.toString('utf8') ?? '',
      });
    });
  });
}

/** A POST the way the original client sends it (JSON body, the exact content type). */
export function observerCall(
  socketPath: string,
  command: string,
  body: Record<string, unknown> = {},
  options: { slash?: boolean } = {},
): Promise<RawReply> {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const target = options.slash === false ? command : `/${command}`;
  const head = `POST ${target} HTTP/1.1\r\nHost: kolejka-observer\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${payload.length}\r\n\r\n`;
  return rawRequest(socketPath, Buffer.concat([Buffer.from(head), payload]));
}
