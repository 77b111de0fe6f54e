/**
 * Echo over the Node adapter: a server that sends every stream back, and a client that writes
 * one message and reads the echo. The certificate is made in memory; the client trusts it.
 *
 * Run: npm run build && node dist/examples/echo.js
 */
import { createSelfSignedCertificate, defaultProvider, pemEncode } from 'tsquic';
import { connect, createServer } from 'tsquic/node';

const made = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });
const cert = pemEncode('CERTIFICATE', made.cert);
const key = pemEncode('PRIVATE KEY', made.pkcs8);

const server = createServer({ cert, key, alpn: ['echo'] }, (conn) => {
  conn.on('stream', (stream) => stream.pipe(stream)); // echo every stream
});
const { port } = await server.listen(0, '127.0.0.1');

const conn = connect(`https://localhost:${port}`, { alpn: ['echo'], ca: cert });
await conn.ready; // rejects with err.code, e.g. 'ERR_QUIC_CERTIFICATE', 'ERR_QUIC_REFUSED'
const stream = await conn.openStream();
stream.end('hello over QUIC');
let echoed = '';
for await (const chunk of stream) echoed += String(chunk);
console.log(`echoed: ${echoed}`);
await conn.close(); // waits for acknowledgments, sends CONNECTION_CLOSE, releases the socket
await server.close();
