/**
 * The sans-IO loop: a client `Engine` driven by hand over a node:dgram socket (datagrams in,
 * datagrams out, one timer), fetching a file over hq-interop from a tsquic/node server in the
 * same process. Everything the engine does happens inside the three calls marked below.
 *
 * Run: npm run build && node dist/examples/sans-io.js
 */
import { createSocket } from 'node:dgram';
import { createSelfSignedCertificate, defaultProvider, Engine, pemEncode } from 'tsquic';
import { createServer } from 'tsquic/node';

/** Microseconds on a monotonic clock: the engine's only notion of time. */
const nowUs = (): number => Math.round(performance.now() * 1000);

// A server to talk to: answers "GET /<n>\r\n" with n bytes of 'x' (HTTP/0.9 over QUIC).
const made = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });
const server = createServer(
  {
    cert: pemEncode('CERTIFICATE', made.cert),
    key: pemEncode('PRIVATE KEY', made.pkcs8),
    alpn: ['hq-interop'],
  },
  (conn) => {
    conn.on('stream', (stream) => {
      let request = '';
      stream.on('data', (d: Buffer) => (request += d.toString('latin1')));
      stream.on('end', () =>
        stream.end(Buffer.alloc(Number(/^GET \/(\d+)/.exec(request)?.[1] ?? 0), 'x')),
      );
    });
  },
);
const { port } = await server.listen(0, '127.0.0.1');

// The client: one socket, one engine, one timer.
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
const local = { address: '127.0.0.1', port: socket.address().port };
const engine = new Engine();
const conn = engine.connect(
  { address: '127.0.0.1', port },
  { alpn: ['hq-interop'], serverName: 'localhost', ca: [made.cert], local },
  nowUs(),
);

let timer: NodeJS.Timeout | undefined;
function drive(): void {
  // (1) send whatever the engine has
  for (let t = engine.pollTransmit(nowUs()); t !== null; t = engine.pollTransmit(nowUs())) {
    socket.send(t.data, t.remote.port, t.remote.address);
  }
  // (2) one timer for the earliest deadline
  clearTimeout(timer);
  const next = engine.nextTimeout();
  if (next !== Infinity) {
    timer = setTimeout(
      () => {
        engine.handleTimeout(nowUs());
        drive();
      },
      Math.max(0, (next - nowUs()) / 1000),
    );
  }
}
// (3) datagrams in: decrypted in place, nothing kept after the call
socket.on('message', (msg, rinfo) => {
  engine.handleDatagram(msg, local, { address: rinfo.address, port: rinfo.port }, nowUs());
  drive();
});

let received = 0;
const done = new Promise<void>((resolve, reject) => {
  conn.on('handshakeDone', () => {
    const s = conn.openStream(true)!;
    s.write(new TextEncoder().encode('GET /100000\r\n'), true);
    drive();
  });
  conn.on('readable', (s) => {
    for (let r = s.read(); r !== null; r = s.read()) {
      received += r.data.length;
      if (r.fin) {
        resolve();
        break;
      }
    }
  });
  conn.on('close', (info) => reject(new Error(`connection closed: ${info.reason}`)));
});
drive();
await done;
console.log(`received ${received} bytes`);
conn.close();
drive();
clearTimeout(timer);
socket.close();
await server.close();
