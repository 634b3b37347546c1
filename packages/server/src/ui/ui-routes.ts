import path from 'node:path';
import type { RequestHandler, Response, Router } from 'express';
import { KolejkaError } from '@kolejka/spec';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';

export interface UiPorts {
  /** The built dashboard: `index.html` and `assets/` (`dashboardDir` of `@kolejka/dashboard`). */
  uiDir: string;
  /** Off (`--no-ui`): no route is registered, so `/ui` falls through to a 404. */
  isEnabled: boolean;
}

/**
 * The dashboard's headers on every `/ui` reply: its code only talks to this origin, loads
 * nothing inline and may not be framed (the dashboard holds an admin's token).
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export const UI_NOT_BUILT_MESSAGE =
  'The Kolejka dashboard is not built: run `pnpm --filter @kolejka/dashboard build`, then reload this page.\n';

/** Built assets have content hashes in their names, so they never change under a URL. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * The web dashboard at `/ui/`: hashed assets from `assets/`, and `index.html` for every
 * other path (client-side routes such as `/ui/tasks/KEY`). Plain files, read per request, so
 * a dashboard built after the server started is served without a restart.
 */
export function uiRoutes(ports: UiPorts): RouteModule {
  return {
    api: 'ops',
    paths: ports.isEnabled ? PATHS : {},
    register: (router) => {
      if (ports.isEnabled) register(router, ports.uiDir);
    },
  };
}

function register(router: Router, uiDir: string): void {
  const root = path.resolve(uiDir);
  const assetsDir = path.join(root, 'assets');
  const securityHeaders: RequestHandler = (_req, res, next) => {
    res.set(UI_SECURITY_HEADERS);
    next();
  };
  router.use('/ui', securityHeaders);

  // Express matches `/ui/` with the `/ui` route (non-strict routing): only the bare path,
  // which would resolve `assets/…` against `/`, is redirected.
  router.get('/ui', (req, res, next) => {
    const [pathname = '', query] = req.originalUrl.split(/\?(.*)/s, 2);
    if (!pathname.endsWith('/')) {
      res.redirect(308, `${pathname}/${query === undefined ? '' : `?${query}`}`);
      return;
    }
    sendIndex(res, root, next);
  });

  router.get('/ui/*path', (req, res, next) => {
    // Express gives the segments decoded: `..%2f` arrives as one segment holding `../`.
    const segments = (req.params as { path?: string[] }).path ?? [];
    if (segments[0] !== 'assets') {
      sendIndex(res, root, next);
      return;
    }
    const file = segments.slice(1);
    if (file.length === 0 || !file.every(isPlainSegment)) {
      next(notFound(req.originalUrl));
      return;
    }
    res.sendFile(
      file.join('/'),
      {
        root: assetsDir,
        dotfiles: 'deny',
        cacheControl: false,
        headers: { 'Cache-Control': ASSET_CACHE },
      },
      (error?: Error & { status?: number }) => {
        if (error === undefined) return;
        if (res.headersSent) {
          res.destroy(error);
          return;
        }
        next(notFound(req.originalUrl, error));
      },
    );
  });
}

/** A file or directory name with nothing that could leave the directory. */
function isPlainSegment(segment: string): boolean {
  return (
    segment !== '' &&
    segment !== '.' &&
    segment !== '..' &&
    !/[/\\\0]/.test(segment) &&
    !segment.startsWith('.')
  );
}

function notFound(url: string, cause?: unknown): KolejkaError {
  return new KolejkaError(
    'KOLEJKA_NOT_FOUND',
    `No dashboard asset ${url.split('?')[0] ?? ''}`,
    cause === undefined ? {} : { cause },
  );
}

function sendIndex(res: Response, root: string, next: (error?: unknown) => void): void {
  res.sendFile(
    'index.html',
    { root, cacheControl: false, lastModified: false, headers: { 'Cache-Control': 'no-cache' } },
    (error?: Error & { code?: string; status?: number }) => {
      if (error === undefined) return;
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      if (error.code === 'ENOENT' || error.status === 404) {
        res.status(503).set('Content-Type', 'text/plain; charset=utf-8');
        res.set('Cache-Control', 'no-store').end(UI_NOT_BUILT_MESSAGE);
        return;
      }
      next(error);
    },
  );
}

const HTML = { description: 'The dashboard page', content: { 'text/html': {} } };
const NOT_BUILT = {
  description: 'The dashboard is not built (`pnpm --filter @kolejka/dashboard build`)',
  content: { 'text/plain': {} },
};

const PATHS: OpenApiPaths = {
  '/ui': {
    get: {
      tags: ['dashboard'],
      operationId: 'dashboardRoot',
      summary: 'The web dashboard: `/ui` redirects (308) to `/ui/`, which is its page',
      description:
        'Off with `kolejka-server serve --no-ui` (`KOLEJKA_UI=0`): then 404. Every `/ui` reply carries a strict Content-Security-Policy, `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.',
      security: [],
      responses: {
        '200': HTML,
        '308': { description: '`/ui` → `/ui/`' },
        '503': NOT_BUILT,
      },
    },
  },
  '/ui/{path}': {
    get: {
      tags: ['dashboard'],
      operationId: 'dashboardPage',
      summary:
        '`/ui/assets/…`: a built asset (cached for a year, immutable); any other path: the dashboard page (`Cache-Control: no-cache`), whose client-side router shows it',
      security: [],
      parameters: [doc.path('path', 'Any path below /ui/, slashes included')],
      responses: {
        '200': { description: 'The asset, or the dashboard page' },
        ...doc.errors(404),
        '503': NOT_BUILT,
      },
    },
  },
};
