import type { WebSocket } from 'ws';
import type { ForemanLink } from '../scheduling/foreman-session.js';

/** The WebSocket as the scheduler's session sees it. */
export function linkOf(ws: WebSocket): ForemanLink {
  return {
    get isOpen() {
      return ws.readyState === ws.OPEN;
    },
    send: (text) => ws.send(text),
    close: (code, reason) => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    },
  };
}
