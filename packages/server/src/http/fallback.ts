import type { RequestHandler, Router } from 'express';
import { KolejkaError } from '@kolejka/spec';
import { HttpError } from './errors.js';

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * After a router's routes: a path that exists with other methods gets 405 (with `Allow`),
 * anything else under `prefix` a 404 naming the request; other paths pass on.
 */
export function routeFallback(router: Router, options: { isCatchAll: boolean }): RequestHandler {
  return (req, _res, next) => {
    const allowed = new Set<string>();
    for (const layer of router.stack as unknown as RouteLayer[]) {
      if (layer.route === undefined || !layer.match(req.path)) continue;
      for (const [method, isOn] of Object.entries(layer.route.methods)) {
        if (isOn && method !== '_all') allowed.add(method.toUpperCase());
      }
    }
    if (allowed.has('GET')) allowed.add('HEAD');
    if (allowed.size > 0) {
      const list = [...allowed].sort().join(', ');
      throw new HttpError(
        405,
        'KOLEJKA_VALIDATION',
        `Method ${req.method} is not allowed on ${req.originalUrl.split('?')[0] ?? ''} (allowed: ${list})`,
        { headers: { Allow: list }, details: { allowed: [...allowed].sort() } },
      );
    }
    if (!options.isCatchAll) {
      next();
      return;
    }
    throw new KolejkaError(
      'KOLEJKA_NOT_FOUND',
      `No route ${req.method} ${req.originalUrl.split('?')[0] ?? ''}; see /api/v1/openapi.json`,
    );
  };
}
