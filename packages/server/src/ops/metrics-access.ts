import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { KolejkaError } from '@kolejka/spec';
import { clientAddress } from '../http/client-address.js';
import type { ServerSettings } from '../server-settings.js';

export type MetricsAccessSettings = Pick<ServerSettings, 'metricsToken' | 'metricsAddresses'>;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * `/metrics` tells queue sizes, routes and latencies: with `metricsToken` or
 * `metricsAddresses` set, only a request bearing the token or coming from a listed address
 * reads it (either is enough). Unset, it stays open, as Prometheus scrapers expect.
 */
export function checkMetricsAccess(req: Request, settings: MetricsAccessSettings): void {
  const { metricsToken, metricsAddresses } = settings;
  if (metricsToken === undefined && metricsAddresses.length === 0) return;
  if (metricsAddresses.includes(clientAddress(req))) return;
  const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  // Compared as digests: equal lengths, constant time, whatever was sent.
  if (
    metricsToken !== undefined &&
    bearer !== undefined &&
    timingSafeEqual(digest(bearer), digest(metricsToken))
  )
    return;
  throw new KolejkaError(
    'KOLEJKA_FORBIDDEN',
    '/metrics is restricted: send "Authorization: Bearer <metrics token>" or scrape from an allowed address',
  );
}
