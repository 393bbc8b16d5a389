// Preloaded into a bot process (NODE_OPTIONS=--import …) to starve its event
// loop on purpose, as a host at load 20 on 2 cores does: right after each
// connection to port STARVE_PORT is opened, the loop is kept busy for
// STARVE_MS (a synchronous busy loop on the next turn), so the probe in flight
// cannot read its answer before its own timer expires. Test-only: nothing in
// src/ knows of it. Bounded: STARVE_MS at most 10 s per connection.
import net from 'node:net';

const port = Number(process.env.STARVE_PORT);
const ms = Math.min(10_000, Number(process.env.STARVE_MS ?? 0));
if (Number.isInteger(port) && port > 0 && ms > 0) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function starvingConnect(...args) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const to = typeof first === 'object' && first !== null ? Number(first.port) : Number(first);
    const socket = connect.apply(this, args);
    if (to === port) {
      setImmediate(() => {
        const end = Date.now() + ms;
        while (Date.now() < end) { /* starved */ }
      });
    }
    return socket;
  };
}
