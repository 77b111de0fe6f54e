/**
 * `tsquic serve --https PORT` as a child process: the same files over TCP (HTTP/1.1 through
 * node:https, HTTP/2 through node:http2), on the same certificate, each response advertising the
 * QUIC port with Alt-Svc (RFC 7838), and the advertised endpoint serving the same bytes over
 * HTTP/3 (`tsquic get` in-process). Both server shapes: one engine and worker threads.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { connect as http2Connect } from 'node:http2';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { Children, nodeArgsFor, payload, testCert } from '../node/helpers.js';

const children = new Children();
const CLI = [process.execPath, ...nodeArgsFor(import.meta.url, '../../src/cli/main')];
const PAGE = '<!doctype html><title>tsquic</title><p>hello</p>\n';

interface Served {
  child: ChildProcess;
  quicPort: number;
  httpsPort: number;
}

/** Starts `tsquic serve ARGS --port 0 --https 0`; resolves once both listeners are up. */
async function startServe(args: string[]): Promise<Served> {
  const child = children.spawn([...CLI, 'serve', '--port', '0', '--https', '0', ...args]);
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise<Served>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const quic = /listening on [^\n]*:(\d+)\n/.exec(out);
      const https = /https \(TCP\) on [^\n]*:(\d+), advertising HTTP\/3 on UDP port (\d+)\n/.exec(
        out,
      );
      if (quic !== null && https !== null) {
        assert.equal(https[2], quic[1], 'the advertised port is the QUIC port');
        resolve({ child, quicPort: Number(quic[1]), httpsPort: Number(https[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP/1.1 request over TLS (the self-signed test certificate is trusted through `ca`). */
function https1(
  port: number,
  ca: string,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        headers,
        ca,
        servername: 'localhost',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** One HTTP/2 request. */
function https2(port: number, ca: string, target: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://localhost:${port}`, { ca, host: '127.0.0.1' });
    session.on('error', reject);
    const stream = session.request({ ':path': target });
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = h as typeof headers;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      session.close();
      resolve({ status, headers, body: Buffer.concat(chunks) });
    });
    stream.on('error', reject);
    stream.setTimeout(10_000, () => stream.close());
  });
}

describe('tsquic serve --https', function () {
  this.timeout(60_000);
  let work = '';
  let root = '';
  let ca = '';
  const big = payload(300 * 1024, 21);
  const flags = (): string[] => [
    '--root',
    root,
    '--cert',
    path.join(work, 'cert.pem'),
    '--key',
    path.join(work, 'key.pem'),
  ];

  before(() => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-https-'));
    root = path.join(work, 'www');
    mkdirSync(root);
    writeFileSync(path.join(root, 'index.html'), PAGE);
    writeFileSync(path.join(root, 'big.bin'), big);
    const { certPem, keyPem } = testCert();
    ca = certPem;
    writeFileSync(path.join(work, 'cert.pem'), certPem);
    writeFileSync(path.join(work, 'key.pem'), keyPem);
  });

  after(() => {
    children.killAll();
    rmSync(work, { recursive: true, force: true });
  });

  for (const shape of [['--workers', '1'], []]) {
    const name = shape.length === 0 ? 'worker threads' : 'one engine';
    it(`serves the files over HTTP/1.1 and HTTP/2 with Alt-Svc, and the same over HTTP/3 (${name})`, async () => {
      const s = await startServe([...flags(), ...shape]);
      const altSvc = `h3=":${s.quicPort}"; ma=86400`;

      const page = await https1(s.httpsPort, ca, 'GET', '/');
      assert.equal(page.status, 200);
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(page.headers['alt-svc'], altSvc);
      assert.equal(page.body.toString('utf8'), PAGE);

      const head = await https1(s.httpsPort, ca, 'HEAD', '/big.bin');
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(big.length));
      assert.equal(head.body.length, 0);

      const range = await https1(s.httpsPort, ca, 'GET', '/big.bin', { range: 'bytes=100-199' });
      assert.equal(range.status, 206);
      assert.equal(range.headers['content-range'], `bytes 100-199/${big.length}`);
      assert.deepEqual(range.body, big.subarray(100, 200));

      const missing = await https1(s.httpsPort, ca, 'GET', '/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.headers['alt-svc'], altSvc);
      const post = await https1(s.httpsPort, ca, 'POST', '/index.html');
      assert.equal(post.status, 405);

      const h2 = await https2(s.httpsPort, ca, '/big.bin');
      assert.equal(h2.status, 200);
      assert.equal(h2.headers['alt-svc'], altSvc);
      assert.deepEqual(h2.body, big);

      // What a browser does next: HTTP/3 to the advertised port, the same bytes.
      const out = path.join(work, `out-${name.replace(' ', '-')}`);
      mkdirSync(out);
      let stderr = '';
      const io: CliIo = {
        stdout: { write: () => {} },
        stderr: { write: (t) => void (stderr += t) },
        readStdin: () => Promise.resolve(null),
      };
      const caFile = path.join(work, 'cert.pem');
      const code = await main(
        ['get', '--ca', caFile, '-o', out, `https://localhost:${s.quicPort}/big.bin`],
        io,
      );
      assert.equal(code, 0, stderr);
      assert.deepEqual(readFileSync(path.join(out, 'big.bin')), big);
      s.child.kill('SIGTERM');
    });
  }

  it('refuses a bad --https port with one line and exit 2', async () => {
    let stderr = '';
    const io: CliIo = {
      stdout: { write: () => {} },
      stderr: { write: (t) => void (stderr += t) },
      readStdin: () => Promise.resolve(null),
    };
    const code = await main(['serve', '--root', root, '--https', 'x'], io);
    assert.equal(code, 2);
    assert.equal(stderr, "tsquic: --https must be an integer from 0 to 65535, got 'x'\n");
  });
});
