import { STATUS_CODES } from 'node:http';

/** The Server header of the original daemon (part of the protocol's look). */
export const OBSERVER_SERVER_HEADER = 'Kolejka Observer Daemon';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * One complete HTTP/1.1 response as a single buffer, so it goes out in one write: a judge's
 * starter reads one chunk of the attach reply and hangs up. Every reply closes the
 * connection, as the original (an HTTP/1.0 server) did.
 */
export function formatReply(
  status: number,
  body: unknown,
  options: { head?: boolean; extraHeaders?: Record<string, string> } = {},
): Buffer {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body), 'utf8');
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`,
    `Server: ${OBSERVER_SERVER_HEADER}`,
    `Date: ${new Date().toUTCString()}`,
  ];
  if (body !== undefined) lines.push(`Content-Type: ${JSON_CONTENT_TYPE}`);
  lines.push(`Content-Length: ${payload.length}`, 'Connection: close');
  for (const [name, value] of Object.entries(options.extraHeaders ?? {}))
    lines.push(`${name}: ${value}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return options.head === true ? head : Buffer.concat([head, payload]);
}
