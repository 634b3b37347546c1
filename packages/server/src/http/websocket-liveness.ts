import type { WebSocket } from 'ws';

/**
 * Ping/pong liveness of a server-side WebSocket. `ping()` is called once per heartbeat
 * period: a peer that did not answer the previous ping is terminated, so a dead peer
 * (no close frame, e.g. a pulled cable) holds its socket at most two periods.
 */
export class WebSocketLiveness {
  readonly #ws: WebSocket;
  #isAlive = true;

  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('pong', () => {
      this.#isAlive = true;
    });
  }

  ping(): void {
    if (!this.#isAlive) {
      this.#ws.terminate();
      return;
    }
    this.#isAlive = false;
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.ping();
  }
}
