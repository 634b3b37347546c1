import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Whether an address or host name names this machine: `localhost` and `*.localhost`,
 * 127.0.0.0/8, ::1, the unspecified addresses (a connection to 0.0.0.0 reaches the local
 * host) and their IPv4-mapped forms. Brackets of IPv6 literals are ignored.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const ipv4 = name.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(ipv4) === 4) return ipv4.startsWith('127.') || ipv4 === '0.0.0.0';
  if (isIP(name) === 6) return /^(0*:)*:?0*1?$/.test(name) || name === '::';
  return false;
}

/** Whether a host name resolves (through the system resolver) to a loopback address. */
export async function resolvesToLoopback(host: string): Promise<boolean> {
  if (isLoopbackHost(host)) return true;
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return false;
  try {
    const addresses = await lookup(host, { all: true });
    return addresses.some((entry) => isLoopbackHost(entry.address));
  } catch {
    // Unresolvable: the request itself fails and is logged as such.
    return false;
  }
}
