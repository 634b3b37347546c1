import type { Request } from 'express';

/**
 * The client's address: the proxy's view when `trustProxy` is on (Express's `req.ip`),
 * else the socket's; `::ffff:1.2.3.4` and `1.2.3.4` are one client.
 */
export function clientAddress(req: Request): string {
  const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}
