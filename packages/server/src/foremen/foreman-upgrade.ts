import type { WebSocket } from 'ws';
import { KolejkaError } from '@kolejka/spec';
import { upgradePrincipal } from '../accounts/bearer-auth.js';
import { hasPermission, type Principal } from '../accounts/principal.js';
import type { UpgradeEndpoint } from '../http/websocket-upgrades.js';
import type { Store } from '../store/store.js';

/** `/api/v1/foreman`: processors (and admins) upgrade to the push channel. */
export function foremanUpgrade(ports: {
  store: Store;
  clock: () => Date;
  foremen: { accept(ws: WebSocket, principal: Principal): void };
}): UpgradeEndpoint {
  return async (req) => {
    const principal = await upgradePrincipal(req, ports.store, ports.clock());
    if (!hasPermission(principal, 'task:process'))
      throw new KolejkaError(
        'KOLEJKA_FORBIDDEN',
        `User ${JSON.stringify(principal.username)} is not a processor: only foremen connect here`,
      );
    return (ws) => ports.foremen.accept(ws, principal);
  };
}
