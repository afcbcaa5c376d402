/**
 * Shell side of `@hono/node-server`: new connections beyond a few per
 * event-loop turn wait for later turns.
 *
 * Measured under Deno 2.9.6 (bench/RESULTS.md, issue 13): 1,000 connections
 * opened at once were all parsed, routed and answered within one turn of the
 * event loop, 120–300 ms of CPU during which no timer and no other request
 * ran; almost all of it is the HTTP server's own work per connection. A
 * paused socket is not read, so pausing the connections beyond
 * `perTurn` and resuming them a batch per macrotask spreads that work
 * over many short turns. `setTimeout(0)` is the macrotask: on Deno it lets
 * the runtime poll its sockets in between (a message or `setImmediate`
 * does not).
 *
 * @module
 */

/** What the pacer uses of a Node `net.Socket`. */
export interface _PausableSocket {
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
  readonly destroyed?: boolean;
}

/** How many new connections one event-loop turn takes up by default. */
export const _CONNECTIONS_PER_TURN = 8;
/** Most connections waiting at once by default; later ones are closed at once. */
export const _MAX_WAITING_CONNECTIONS = 4096;

/**
 * A `connection` listener: the first `perTurn` connections of a turn pass
 * untouched; later ones are paused and resumed in arrival order, at most
 * `perTurn` per `setTimeout(0)`. Closed sockets are skipped. Beyond
 * `maxWaiting` waiting connections a new one is destroyed (the queue is
 * bounded; its slots are reused as it drains).
 */
export function _createConnectionPacer(
  perTurn: number = _CONNECTIONS_PER_TURN,
  maxWaiting: number = _MAX_WAITING_CONNECTIONS,
): (socket: _PausableSocket) => void {
  const waiting: _PausableSocket[] = [];
  let head = 0;
  let admitted = 0;
  let scheduled = false;
  const nextTurn = () => {
    scheduled = false;
    admitted = 0;
    while (head < waiting.length && admitted < perTurn) {
      const socket = waiting[head++];
      if (socket.destroyed) continue;
      admitted++;
      socket.resume();
    }
    if (head === waiting.length) waiting.length = head = 0;
    else if (head > waiting.length / 2) {
      waiting.splice(0, head);
      head = 0;
    }
    schedule();
  };
  const schedule = () => {
    if (scheduled || (admitted === 0 && head === waiting.length)) return;
    scheduled = true;
    setTimeout(nextTurn, 0);
  };
  return (socket) => {
    if (head === waiting.length && admitted < perTurn) {
      admitted++;
    } else if (waiting.length - head >= maxWaiting) {
      socket.destroy();
      return;
    } else {
      socket.pause();
      waiting.push(socket);
    }
    schedule();
  };
}
