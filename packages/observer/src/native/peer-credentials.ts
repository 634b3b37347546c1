import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { KolejkaError } from '@kolejka/spec';

/** Who is on the other end of a unix socket (SO_PEERCRED), in the daemon's pid namespace. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

interface Addon {
  peerCredentials(fd: number): PeerCredentials;
}

/** This file is src/native/*.ts in tests and dist/native/*.js when built: the package is two up. */
export const PEER_CREDENTIALS_ADDON = fileURLToPath(
  new URL('../../native/build/Release/kolejka_peer_credentials.node', import.meta.url),
);

let addon: Addon | undefined;

function loadAddon(): Addon {
  if (addon !== undefined) return addon;
  if (!existsSync(PEER_CREDENTIALS_ADDON)) {
    throw new KolejkaError(
      'KOLEJKA_UNAVAILABLE',
      `the observer's SO_PEERCRED addon is not built (${PEER_CREDENTIALS_ADDON} is missing); run "pnpm --filter @kolejka/observer build"`,
    );
  }
  const require = createRequire(import.meta.url);
  addon = require(PEER_CREDENTIALS_ADDON) as Addon;
  return addon;
}

/** Checks that the addon loads (the daemon fails at start-up rather than on the first request). */
export function assertPeerCredentialsAvailable(): void {
  loadAddon();
}

/** Peer credentials of a connected unix socket (its handle's fd; Node keeps it on `_handle`). */
export function peerCredentialsOf(socket: Socket): PeerCredentials {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new KolejkaError(
      'KOLEJKA_INTERNAL',
      'the connection has no file descriptor to ask SO_PEERCRED about',
    );
  }
  try {
    return loadAddon().peerCredentials(fd);
  } catch (error) {
    if (error instanceof KolejkaError) throw error;
    throw new KolejkaError(
      'KOLEJKA_INTERNAL',
      `cannot read the caller's credentials: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
