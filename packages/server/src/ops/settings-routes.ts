import type { Router } from 'express';
import { dumpLimits } from '@kolejka/spec';
import { requirePrincipal } from '../accounts/principal.js';
import { sendJson } from '../http/errors.js';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import { describeSettings, type ServerSettings } from '../server-settings.js';

/** `GET /api/v1/settings`: the server's policy, for any signed-in caller. */
export function settingsRoutes(ports: { settings: ServerSettings }): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: { settings: ServerSettings }): void {
  router.get('/settings', (_req, res) => {
    requirePrincipal(res);
    sendJson(res, 200, {
      blobHashAlgorithm: 'sha256',
      limits: dumpLimits(ports.settings.maxLimits),
      ...describeSettings(ports.settings),
    });
  });
}

const PATHS: OpenApiPaths = {
  '/api/v1/settings': {
    get: {
      tags: ['auth'],
      operationId: 'getSettings',
      summary: 'Server policy: hash algorithm, default and maximum limits, body sizes, leases',
      responses: { '200': doc.json(doc.ref('Settings')), ...doc.errors(401) },
    },
  },
};
