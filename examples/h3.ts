/**
 * HTTP/3 over the Node adapter: a server that answers every request with what it received, and
 * a client that fetches from it through an H3Agent (one pooled connection per origin, reused by
 * both requests). The certificate is made in memory; the client trusts it.
 *
 * Run: npm run build && node dist/examples/h3.js
 */
import { createSelfSignedCertificate, defaultProvider, pemEncode } from 'tsquic';
import { h3Server } from 'tsquic/h3';
import { createServer, H3Agent } from 'tsquic/node';

const made = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });
const cert = pemEncode('CERTIFICATE', made.cert);
const key = pemEncode('PRIVATE KEY', made.pkcs8);

const server = createServer({ cert, key, alpn: ['h3'] }, (conn) => {
  h3Server(conn, async (req, res) => {
    let received = 0;
    for await (const chunk of req) received += chunk.length; // the request body, streamed
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${req.method} ${req.path} (${received} bytes)\n`);
  });
});
const { port } = await server.listen(0, '127.0.0.1');

const agent = new H3Agent({ ca: cert });
const get = await agent.fetch(`https://localhost:${port}/hello`);
console.log(get.status, get.headers['content-type'], (await get.text()).trim());
const post = await agent.fetch(`https://localhost:${port}/upload`, {
  method: 'POST',
  body: 'x'.repeat(100_000),
});
console.log(post.status, (await post.text()).trim());
await agent.close(); // GOAWAY, then CONNECTION_CLOSE with H3_NO_ERROR
await server.close();
