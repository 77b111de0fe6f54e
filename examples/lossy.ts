/**
 * A transfer over a lossy in-memory link: `tsquic/testing` joins a client engine and a server
 * engine by a simulated network (40 ms one-way delay, 5% of datagrams lost each way), the
 * client sends 1 MiB of seeded pseudo-random bytes on one stream, and the server's copy is
 * compared byte for byte. Everything runs in virtual time from one seed: no sockets, no wall
 * clock, the same run every time.
 *
 * Run: npm run build && node dist/examples/lossy.js
 */
import { createHash } from 'node:crypto';
import { SeededRandom, createEnginePair } from 'tsquic/testing';

const SIZE = 1 << 20;
const sent = new SeededRandom(42).bytes(SIZE);

const pair = createEnginePair({ seed: 7, conditions: { delay: 40_000, loss: 0.05 } });
if (!pair.handshake()) throw new Error('the handshake did not complete');

// The server keeps what arrives, in order, until the stream's FIN.
const received = new Uint8Array(SIZE);
let length = 0;
let finished = false;
pair.serverConn()!.on('readable', (stream) => {
  for (let r = stream.read(); r !== null; r = stream.read()) {
    received.set(r.data, length);
    length += r.data.length;
    finished ||= r.fin;
  }
});

const start = pair.now;
pair.conn.openStream(true)!.write(sent, true);
if (!pair.runUntil(() => finished, 120_000_000)) throw new Error('the transfer did not finish');

const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
if (length !== SIZE || digest(received) !== digest(sent)) {
  throw new Error(`the bytes differ: ${length} of ${SIZE} arrived`);
}
const seconds = (pair.now - start) / 1e6;
console.log(`${SIZE} bytes arrived intact over a lossy link`);
console.log(
  `${pair.net.stats.lost} of ${pair.net.stats.sent} datagrams lost, ` +
    `${seconds.toFixed(2)} s of virtual time, ` +
    `${pair.conn.getStats().packetsLost} packets declared lost by the sender`,
);
