import type { WebSocket } from 'ws';
import { upgradePrincipal } from '../accounts/bearer-auth.js';
import type { Principal } from '../accounts/principal.js';
import type { UpgradeEndpoint } from '../http/websocket-upgrades.js';
import type { Store } from '../store/store.js';

/**
 * `/api/v1/events`: anyone signed in upgrades to follow task changes; browsers (which cannot
 * set headers on a WebSocket) offer their token as the `kolejka.bearer.<token>` subprotocol.
 */
export function eventsUpgrade(ports: {
  store: Store;
  clock: () => Date;
  sockets: { accept(ws: WebSocket, principal: Principal): void };
}): UpgradeEndpoint {
  return async (req) => {
    const principal = await upgradePrincipal(req, ports.store, ports.clock(), {
      isProtocolTokenAccepted: true,
    });
    return (ws) => ports.sockets.accept(ws, principal);
  };
}
