import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { openStorage, type Storage } from '../src/blobs/open-storage.js';
import type { RouteModule } from '../src/http/route-module.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  rawPath?: string | string[];
  handle?: { stack?: Layer[] };
}

/** Every (METHOD, path) the Express app routes, with mount paths joined. */
function walk(stack: Layer[], prefix = ''): string[] {
  const found: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const routePath of paths) {
        for (const [method, isOn] of Object.entries(layer.route.methods)) {
          // OpenAPI has no wildcard: an Express `*name` (slashes included) is documented `{name}`.
          const asDocumented = routePath.replace(/\*(\w+)/g, ':$1');
          if (isOn) found.push(`${method.toUpperCase()} ${prefix}${asDocumented}`);
        }
      }
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      found.push(...walk(layer.handle.stack, `${prefix}${mount}`));
    }
  }
  return found;
}

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; responses?: object }>>;
  components: { schemas: Record<string, unknown> };
};

/** Every (METHOD, path) the document describes, in Express form (`{key}` → `:key`). */
function documented(document: OpenApi): string[] {
  const found: string[] = [];
  for (const [docPath, item] of Object.entries(document.paths)) {
    const expressPath = docPath.replace(/\{(\w+)\}/g, ':$1');
    for (const method of Object.keys(item)) {
      if (['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method))
        found.push(`${method.toUpperCase()} ${expressPath}`);
    }
  }
  return found;
}

let home: string;
let storage: Storage;
let app: Express;
let document: OpenApi;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-openapi-'));
  storage = await openStorage({ home });
  app = createApp({ store: storage.store, blobs: storage.blobs });
  const response = await new Promise<unknown>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      void fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`)
        .then((reply) => reply.json())
        .then((json) => server.close(() => resolve(json)));
    });
  });
  document = response as OpenApi;
});
afterAll(async () => {
  await storage.store.close();
  await storage.blobs.close();
  await rm(home, { recursive: true, force: true });
});

describe('the OpenAPI document', () => {
  it('documents every route, and every documented route exists', () => {
    const routes = new Set(walk((app as unknown as { router: { stack: Layer[] } }).router.stack));
    expect(routes.size).toBeGreaterThan(40);
    const docs = new Set(documented(document));
    // Express serves HEAD with the GET route.
    const undocumented = [...routes].filter((route) => !docs.has(route));
    const missing = [...docs].filter(
      (route) =>
        !routes.has(route) && !(route.startsWith('HEAD ') && routes.has(`GET ${route.slice(5)}`)),
    );
    expect(undocumented).toEqual([]);
    expect(missing).toEqual([]);
  });

  it('is OpenAPI 3.1 with unique operation ids, responses and resolvable references', () => {
    expect(document.openapi).toBe('3.1.0');
    const ids: string[] = [];
    for (const item of Object.values(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (method === 'parameters') continue;
        expect(operation.operationId, method).toEqual(expect.any(String));
        expect(Object.keys(operation.responses ?? {}).length).toBeGreaterThan(0);
        ids.push(operation.operationId ?? '');
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    const refs = JSON.stringify(document).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      const name = ref.slice('"#/components/schemas/'.length, -1);
      expect(document.components.schemas, name).toHaveProperty(name);
    }
    // The task and result schemas are spec's.
    expect(document.components.schemas.TaskSpec).toMatchObject({
      title: 'Kolejka task (kolejka_task.json)',
    });
    expect(document.components.schemas.ApiError).toMatchObject({ title: 'Kolejka API error' });
  });

  it('catches an undocumented route added by a module', () => {
    const extra: RouteModule = {
      api: 'v1',
      paths: {},
      register(router) {
        router.get('/not-documented', (_req, res) => {
          res.end();
        });
      },
    };
    const withExtra = createApp({ store: storage.store, blobs: storage.blobs, modules: [extra] });
    const routes = walk((withExtra as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(routes).toContain('GET /api/v1/not-documented');
    expect(documented(document)).not.toContain('GET /api/v1/not-documented');
  });
});
