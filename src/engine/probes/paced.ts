/**
 * At most SLICE bytes of a reply parsed per event-loop turn. libuv reads a
 * readable socket up to 32 times in a row (uv__read, 64 KiB each) and Node
 * emits 'data' for each read synchronously, so a server that floods us got up
 * to 2 MiB parsed before any timer, ack or other connection had a turn. The
 * handler pauses the socket (Node then stops reading once its buffer is full and
 * keeps the rest), hands a chunk on in slices, one per turn (setImmediate), and
 * resumes the socket when the last slice is done. A slice of tiny RESP elements
 * (4 bytes each) is 4,096 nodes: a few milliseconds, where a 64 KiB chunk was
 * tens of milliseconds on a loaded machine.
 */
import type { Duplex } from 'node:stream';

const SLICE = 16 * 1024;

export function pacedData(socket: Duplex, handler: (chunk: Buffer) => void): (chunk: Buffer) => void {
  const queue: Buffer[] = [];
  let running = false;
  const step = () => {
    const slice = queue.shift();
    // A reader that removed its listener (its reply is complete, it gave up) gets nothing more, as with plain 'data'.
    if (slice === undefined || socket.destroyed || !socket.listeners('data').includes(paced)) {
      queue.length = 0;
      running = false;
      if (!socket.destroyed) socket.resume();
      return;
    }
    handler(slice);
    setImmediate(step);
  };
  const paced = (chunk: Buffer) => {
    socket.pause();
    for (let i = 0; i < chunk.length; i += SLICE) queue.push(chunk.subarray(i, i + SLICE));
    if (running) return;
    running = true;
    // The first slice now, as before: a short reply (the usual case) costs no extra turn.
    step();
  };
  return paced;
}
