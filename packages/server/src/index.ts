// The public API of @kolejka/server: what embedding a server takes. Tests import module paths.
export { createApp, type CreateAppOptions } from './app.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
export type { ServerSettings, ServerSettingsOptions } from './server-settings.js';
export { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
export { openStorage, type OpenStorageOptions, type Storage } from './blobs/open-storage.js';
export type { BlobStore } from './blobs/blob-store.js';
export type { Role, Store } from './store/store.js';
export { doc, type OpenApiPaths, type RouteModule } from './http/route-module.js';
export { collectGarbage, type GcOptions, type GcReport } from './ops/gc.js';
// Seeding a store directly (bench/scheduler.js creates users and tokens this way).
export { newTokenId, newTokenSecret, newUuidHex, sha256Hex } from './accounts/tokens.js';
