import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Tests run from sources: "@kolejka/x" resolves to packages/x/src/index.ts.
const conditions = ['@kolejka/source', 'node', 'import', 'module', 'default'];
const packages = readdirSync(new URL('./packages', import.meta.url));

// Projects whose tests start containers: Docker and the local images are prepared once.
// dashboard: its browser tests start a real foreman.
const needsDocker = new Set(['repo', 'observer', 'worker', 'foreman', 'dashboard']);
const dockerSetup = new URL('./test/support/prepare-docker.ts', import.meta.url).pathname;
const setupFor = (name: string): string[] => (needsDocker.has(name) ? [dockerSetup] : []);

export default defineConfig({
  resolve: { conditions },
  // Vitest hands ssr.resolve.conditions to its workers as `node --conditions`, which also
  // steer require(): an explicit `import` there makes require() of dual packages (express's
  // is-promise, ws) load their ESM build and break. Only the source condition is added.
  ssr: {
    resolve: {
      conditions: ['@kolejka/source', 'node', 'development|production'],
      externalConditions: ['node'],
    },
  },
  test: {
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: `packages/${name}`,
          include: ['test/**/*.test.ts'],
          globalSetup: setupFor(name),
        },
      })),
      {
        extends: true as const,
        test: {
          name: 'repo',
          root: '.',
          include: ['test/**/*.test.ts'],
          globalSetup: setupFor('repo'),
        },
      },
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
