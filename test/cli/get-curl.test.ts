/**
 * `tsquic get` as curl: -X, -H, --data/--data-binary, -i/-I (HEAD), -v, -s/-S, --connect-to,
 * --max-time and the progress meter, against an HTTP/3 server in this process that echoes what
 * it received (and a file handler for HEAD). `get` runs in-process through main(); bodies go to
 * files under --output. Bad input is one line and exit code 2.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectTarget, type ConnectTo } from '../../src/cli/get-request.js';
import { H3_ALPN, h3FileHandler, serveH3Connection } from '../../src/cli/h3-handlers.js';
import { HqFileServer } from '../../src/cli/hq-server.js';
import { HQ_ALPN } from '../../src/cli/hq-protocol.js';
import { ProgressMeter, size } from '../../src/cli/progress-meter.js';
import type { H3ServerResponse } from '../../src/h3/api/server.js';
import type { QuicConnection } from '../../src/node/connection.js';
import { createServer, type QuicServer } from '../../src/node/server.js';
import { testCertificate } from '../../src/testing/pair.js';
import { payload } from '../node/helpers.js';
import { runCli, stderrLine, type CliRun } from './run-cli.js';

const FILE = payload(200 * 1024, 9);

interface Echo {
  method: string;
  authority: string | undefined;
  headers: Record<string, string>;
  body: string;
}

describe('tsquic get: the curl options', function () {
  this.timeout(30_000);
  let work = '';
  let out = '';
  let server: QuicServer;
  let port = 0;
  const held: H3ServerResponse[] = [];

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-curl-'));
    out = path.join(work, 'out');
    mkdirSync(out);
    mkdirSync(path.join(work, 'www'));
    writeFileSync(path.join(work, 'www', 'file.bin'), FILE);
    const files = h3FileHandler(await HqFileServer.open(path.join(work, 'www')));
    server = createServer({ alpn: [H3_ALPN, HQ_ALPN], certificate: testCertificate().cert });
    server.on('connection', async (conn: QuicConnection) => {
      await conn.ready;
      serveH3Connection(conn, async (req, res) => {
        if (req.path === '/echo') {
          const chunks: Uint8Array[] = [];
          for await (const c of req) chunks.push(c);
          const echo: Echo = {
            method: req.method,
            authority: req.authority,
            headers: req.headers,
            body: Buffer.concat(chunks).toString('latin1'),
          };
          res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'yes' });
          res.end(JSON.stringify(echo));
        } else if (req.path === '/stall') {
          res.writeHead(200, { 'content-length': 1_000_000 });
          res.write(new Uint8Array(1000));
          held.push(res);
        } else {
          await files(req, res);
        }
      });
    });
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    for (const r of held) r.destroy();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const f of readdirSync(out)) rmSync(path.join(out, f));
  });

  const url = (p: string): string => `https://127.0.0.1:${port}${p}`;
  const get = (...args: string[]): Promise<CliRun> =>
    runCli(['get', '--insecure', '-o', out, ...args]);
  const saved = (name: string): Buffer => readFileSync(path.join(out, name));
  const echoed = (): Echo => JSON.parse(saved('echo').toString('utf8')) as Echo;

  it('-X and repeated -H: the method and header fields arrive as given', async () => {
    const r = await get('-X', 'PATCH', '-H', 'X-One: 1', '-H', 'x-two:  two words ', url('/echo'));
    assert.equal(r.code, 0, r.stderr);
    const e = echoed();
    assert.equal(e.method, 'PATCH');
    assert.equal(e.headers['x-one'], '1');
    assert.equal(e.headers['x-two'], 'two words');
    assert.equal(e.body, '');
  });

  it('--data: POST, form content-type, values joined with &, @FILE without line breaks', async () => {
    const form = path.join(work, 'form.txt');
    writeFileSync(form, 'c=3\r\nd=4\n');
    const r = await get('-d', 'a=1', '--data', 'b=2', '-d', `@${form}`, url('/echo'));
    assert.equal(r.code, 0, r.stderr);
    const e = echoed();
    assert.equal(e.method, 'POST');
    assert.equal(e.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(e.body, 'a=1&b=2&c=3d=4');
    assert.equal(e.headers['content-length'], String(e.body.length));
  });

  it('--data-binary @FILE sends every byte; @- reads standard input; -H content-type wins', async () => {
    const bin = path.join(work, 'body.bin');
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    writeFileSync(bin, bytes);
    let r = await get('--data-binary', `@${bin}`, '-H', 'content-type: x/y', url('/echo'));
    assert.equal(r.code, 0, r.stderr);
    let e = echoed();
    assert.deepEqual(Buffer.from(e.body, 'latin1'), Buffer.from(bytes));
    assert.equal(e.headers['content-type'], 'x/y');
    r = await runCli(
      ['get', '--insecure', '-o', out, '-X', 'PUT', '--data-binary', '@-', url('/echo')],
      { stdin: new TextEncoder().encode('from stdin\n') },
    );
    assert.equal(r.code, 0, r.stderr);
    e = echoed();
    assert.equal(e.method, 'PUT');
    assert.equal(e.body, 'from stdin\n');
  });

  it('-i writes the status line and header fields before the body', async () => {
    const r = await get('-i', url('/file.bin'));
    assert.equal(r.code, 0, r.stderr);
    const all = saved('file.bin');
    const end = all.indexOf('\r\n\r\n');
    const head = all.subarray(0, end).toString('latin1').split('\r\n');
    assert.equal(head[0], 'HTTP/3 200');
    assert.ok(head.includes(`content-length: ${FILE.length}`), head.join('|'));
    assert.ok(head.includes('content-type: application/octet-stream'), head.join('|'));
    assert.deepEqual(all.subarray(end + 4), Buffer.from(FILE));
  });

  it('-I sends HEAD: header fields with the content-length, no body', async () => {
    const r = await get('-I', url('/file.bin'));
    assert.equal(r.code, 0, r.stderr);
    const text = saved('file.bin').toString('latin1');
    assert.ok(text.startsWith('HTTP/3 200\r\n'), text);
    assert.ok(text.includes(`\r\ncontent-length: ${FILE.length}\r\n`), text);
    assert.ok(text.endsWith('\r\n\r\n'), 'nothing after the header block');
    const e = await get('-I', '-H', 'x: y', url('/echo'));
    assert.equal(e.code, 0, e.stderr);
    assert.ok(saved('echo').toString('latin1').includes('x-echo: yes'));
    assert.ok(saved('echo').toString('latin1').endsWith('\r\n\r\n'), 'no body for HEAD');
  });

  it('-v: the handshake and both header sections on stderr', async () => {
    const r = await get('-v', '-H', 'x-v: 1', url('/echo'));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n');
    const hs = lines.find((l) => l.includes('handshake done'));
    assert.ok(hs !== undefined, r.stderr);
    assert.match(hs, /QUIC v1, ALPN h3, TLS_AES_128_GCM_SHA256, group \S+, no Retry, new session/);
    assert.ok(lines.includes('> GET /echo HTTP/3'), r.stderr);
    assert.ok(lines.includes('> x-v: 1'), r.stderr);
    assert.ok(lines.includes('< HTTP/3 200'), r.stderr);
    assert.ok(lines.includes('< x-echo: yes'), r.stderr);
  });

  it('--connect-to: the URL keeps its name, the connection goes elsewhere; Host sets :authority', async () => {
    let r = await get(
      '--connect-to',
      `example.invalid:443:127.0.0.1:${port}`,
      'https://example.invalid/echo',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(echoed().authority, 'example.invalid');
    r = await get(
      '--connect-to',
      `::127.0.0.1:${port}`,
      '-H',
      'Host: other.test',
      'https://a.invalid:8443/echo',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(echoed().authority, 'other.test');
  });

  it('--max-time cutting a transfer: exit 1, one line, no file left', async () => {
    const r = await get('--max-time', '1', url('/stall'));
    assert.match(stderrLine(r, 1), /timed out after 1 s/);
    assert.deepEqual(readdirSync(out), []);
  });

  it('-s hides the failure line (not the exit code); -S shows it again', async () => {
    let r = await get('-s', url('/missing'));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, '');
    r = await get('-s', '-S', url('/missing'));
    assert.match(stderrLine(r, 1), /HTTP status 404/);
  });

  it('the progress meter: only with a terminal on stderr and the body not on a terminal, off with -s', async () => {
    const args = ['get', '--insecure', '-o', out, url('/file.bin')];
    let r = await runCli(args, { tty: { stderr: true } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\r100% 200\.0 KiB of 200\.0 KiB .*\n$/);
    r = await runCli([...args, '-s'], { tty: { stderr: true } });
    assert.equal(r.stderr, '');
    r = await runCli(args);
    assert.equal(r.stderr, '');
  });

  const bad: [string[], RegExp][] = [
    [['-H', 'no colon'], /--header 'no colon': expected 'Name: value'/],
    [['-H', 'bad name: x'], /not a field name/],
    [['-H', 'Transfer-Encoding: chunked'], /connection-specific/],
    [['-X', 'GE T'], /not a method name/],
    [['-I', '-X', 'POST'], /--head and --request POST exclude each other/],
    [['-I', '-d', 'x'], /--head sends no body/],
    [['-d', '@/nonexistent/x'], /cannot read \/nonexistent\/x: no such file/],
    [['--data-binary', '@-'], /nothing on standard input/],
    [['--connect-to', 'a:b'], /expected HOST1:PORT1:HOST2:PORT2/],
    [['--connect-to', 'a:1:b:70000'], /port 70000 is not from 1 to 65535/],
    [['--max-time', '0'], /--max-time must be a number of seconds above 0/],
    [['--max-time', '1', '--timeout', '1'], /give one/],
    [['--alpn', 'hq-interop', '-X', 'POST'], /hq-interop .* use --alpn h3/],
    [['--alpn', 'hq-interop', '-i'], /hq-interop .* no header fields/],
  ];
  for (const [args, message] of bad) {
    it(`refuses ${args.join(' ')} with one line and exit 2`, async () => {
      const r = await get(...args, url('/echo'));
      assert.match(stderrLine(r, 2), message);
    });
  }
});

describe('get: --connect-to matching and the meter line', () => {
  const rules: ConnectTo[] = [
    { host: 'a.test', port: 443, toHost: 'b.test', toPort: 8443 },
    { host: '', port: 8080, toHost: '', toPort: 9090 },
  ];

  it('the first matching rule wins; empty parts match anything and keep the URL part', () => {
    assert.deepEqual(connectTarget(rules, 'A.TEST', 443), { host: 'b.test', port: 8443 });
    assert.deepEqual(connectTarget(rules, 'a.test', 444), { host: 'a.test', port: 444 });
    assert.deepEqual(connectTarget(rules, 'c.test', 8080), { host: 'c.test', port: 9090 });
  });

  it('shows share, bytes, rate and elapsed time; without a total only bytes and rate', () => {
    const lines: string[] = [];
    const meter = new ProgressMeter({ write: (s) => void lines.push(s) }, 1000);
    meter.expect(4096);
    assert.equal(meter.line(3000), '  0% 0 B of 4.0 KiB  0 B/s  0:02');
    meter.add(2048, 3000);
    assert.equal(meter.line(3000), ' 50% 2.0 KiB of 4.0 KiB  1.0 KiB/s  0:02');
    meter.expect(null);
    assert.equal(meter.line(3000), '2.0 KiB  1.0 KiB/s  0:02');
    assert.equal(size(5 * 1024 * 1024), '5.0 MiB');
  });
});
