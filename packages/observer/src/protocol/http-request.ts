/**
 * The small HTTP/1.x request parser the observer needs. Node's own parser rejects the
 * request line the original worker's stage2 sends (`POST attach HTTP/1.1`: a target without
 * a leading slash), so requests are read here, over a plain net.Server.
 */
export interface HttpRequest {
  method: string;
  /** The request target exactly as sent ("attach", "/open", "/Attach/ "). */
  target: string;
  version: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Map<string, string>;
  body: Buffer;
}

export interface HttpLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 1024 * 1024,
};

/** A request the parser cannot accept; `status` is the HTTP status to answer with. */
export class HttpProtocolError extends Error {
  override readonly name = 'HttpProtocolError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function headerEnd(buffer: Buffer): { end: number; separator: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return undefined;
  // Bare LF line endings are tolerated (hand-written clients such as `printf | nc -U`).
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { end: crlf, separator: 4 };
  return { end: lf, separator: 2 };
}

function parseHead(text: string): Omit<HttpRequest, 'body'> {
  const lines = text.split(/\r?\n/);
  const requestLine = lines.shift() ?? '';
  // The target may itself contain spaces ("/attach/ " from a sloppy client): method first,
  // version last, everything between is the target.
  const match = /^(\S+) (.*) (HTTP\/\d\.\d)$/.exec(requestLine);
  if (match === null) {
    throw new HttpProtocolError(
      400,
      `malformed request line ${JSON.stringify(requestLine.slice(0, 200))}`,
    );
  }
  const [, method = '', target = '', version = ''] = match;
  if (!TOKEN.test(method))
    throw new HttpProtocolError(400, `invalid method ${JSON.stringify(method)}`);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') {
    throw new HttpProtocolError(505, `unsupported HTTP version ${version}`);
  }
  const headers = new Map<string, string>();
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) {
      throw new HttpProtocolError(
        400,
        `malformed header line ${JSON.stringify(line.slice(0, 200))}`,
      );
    }
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
  return { method, target, version, headers };
}

/** Decodes a chunked body; `undefined` while incomplete. */
function parseChunked(
  buffer: Buffer,
  start: number,
  limits: HttpLimits,
): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let size = 0;
  let position = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', position);
    if (lineEnd < 0) return undefined;
    const sizeText =
      buffer.subarray(position, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) {
      throw new HttpProtocolError(400, `malformed chunk size ${JSON.stringify(sizeText)}`);
    }
    const chunkSize = parseInt(sizeText, 16);
    position = lineEnd + 2;
    if (chunkSize === 0) {
      // Trailers are not used by anyone talking to the observer: skip to the blank line.
      const end = buffer.indexOf('\r\n', position);
      if (end < 0) return undefined;
      if (end === position) return { body: Buffer.concat(parts), end: end + 2 };
      const trailersEnd = buffer.indexOf('\r\n\r\n', position);
      if (trailersEnd < 0) return undefined;
      return { body: Buffer.concat(parts), end: trailersEnd + 4 };
    }
    size += chunkSize;
    if (size > limits.maxBodyBytes) {
      throw new HttpProtocolError(413, `request body is larger than ${limits.maxBodyBytes} bytes`);
    }
    if (buffer.length < position + chunkSize + 2) return undefined;
    parts.push(buffer.subarray(position, position + chunkSize));
    position += chunkSize + 2;
  }
}

/**
 * Parses one request from the start of `buffer`. Returns `undefined` when more bytes are
 * needed, else the request and how many bytes it used. Throws HttpProtocolError.
 */
export function parseHttpRequest(
  buffer: Buffer,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): { request: HttpRequest; consumed: number } | undefined {
  // Blank lines before a request line are allowed by RFC 9112.
  let start = 0;
  while (buffer[start] === 0x0d || buffer[start] === 0x0a) start += 1;
  const found = headerEnd(buffer.subarray(start));
  if (found === undefined) {
    if (buffer.length - start > limits.maxHeaderBytes) {
      throw new HttpProtocolError(
        431,
        `request head is larger than ${limits.maxHeaderBytes} bytes`,
      );
    }
    return undefined;
  }
  if (found.end > limits.maxHeaderBytes) {
    throw new HttpProtocolError(431, `request head is larger than ${limits.maxHeaderBytes} bytes`);
  }
  const head = parseHead(buffer.subarray(start, start + found.end).toString('latin1'));
  const bodyStart = start + found.end + found.separator;
  const transferEncoding = head.headers.get('transfer-encoding');
  if (transferEncoding !== undefined) {
    if (transferEncoding.toLowerCase() !== 'chunked') {
      throw new HttpProtocolError(
        501,
        `unsupported Transfer-Encoding ${JSON.stringify(transferEncoding)}`,
      );
    }
    const chunked = parseChunked(buffer, bodyStart, limits);
    if (chunked === undefined) return undefined;
    return { request: { ...head, body: chunked.body }, consumed: chunked.end };
  }
  const lengthText = head.headers.get('content-length');
  let length = 0;
  if (lengthText !== undefined) {
    if (!/^\d+$/.test(lengthText)) {
      throw new HttpProtocolError(400, `invalid Content-Length ${JSON.stringify(lengthText)}`);
    }
    length = Number(lengthText);
  }
  if (length > limits.maxBodyBytes) {
    throw new HttpProtocolError(413, `request body is larger than ${limits.maxBodyBytes} bytes`);
  }
  if (buffer.length < bodyStart + length) return undefined;
  return {
    request: { ...head, body: buffer.subarray(bodyStart, bodyStart + length) },
    consumed: bodyStart + length,
  };
}
