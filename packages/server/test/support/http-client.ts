import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface RawRequest {
  method: string;
  url: string;
  /** Exactly these headers (plus Host and Content-Length/Transfer-Encoding from Node). */
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body in chunks without a Content-Length. */
  isChunked?: boolean;
}

/**
 * One HTTP request with nothing added: no default Content-Type or Accept, unlike fetch. The
 * original Python client sends raw bodies without a Content-Type; so do these tests.
 */
export function rawRequest(options: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const hasLength = Object.keys(headers).some((name) => name.toLowerCase() === 'content-length');
    if (body !== undefined && !options.isChunked && !hasLength)
      headers['Content-Length'] = String(body.length);
    const req = httpRequest(
      options.url,
      { method: options.method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          const text = data.toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, text, json });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface ApiCall {
  method?: string;
  token?: string;
  /** Sent as JSON with Content-Type application/json. */
  json?: unknown;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

/** A v1 API call with a bearer token. */
export function api(baseUrl: string, path: string, call: ApiCall = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  if (call.token !== undefined) headers.Authorization = `Bearer ${call.token}`;
  let body = call.body;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers['Content-Type'] ??= 'application/json';
  }
  return rawRequest({
    method: call.method ?? (body === undefined ? 'GET' : 'POST'),
    url: `${baseUrl}${path}`,
    headers,
    ...(body === undefined ? {} : { body }),
  });
}
