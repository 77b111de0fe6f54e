/**
 * `tsquic serve` as a child process, fetched by `tsquic get` as a child process (the real
 * command lines) and in-process through main() (the many error cases, which would otherwise
 * cost a process start each). Runs from the TypeScript sources (mocha + tsx) or from the
 * compiled dist (npm test): nodeArgsFor picks main.ts with tsx or main.js.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hqGet } from '../../src/cli/hq-client.js';
import { HqFileServer } from '../../src/cli/hq-server.js';
import { connect, createServer, QuicStreamError } from '../../src/node/index.js';
import { Children, nodeArgsFor, payload, testCert, waitExit } from '../node/helpers.js';
import { validateQlog } from '../qlog/validate.js';
import { onlyLine, runCli, type CliRun } from './run-cli.js';

const children = new Children();
/** These tests are about hq-interop (HTTP/0.9); HTTP/3 has its own tests. */
const HQ = ['--alpn', 'hq-interop'];
const CLI = [process.execPath, ...nodeArgsFor(import.meta.url, '../../src/cli/main')];

/** Runs `tsquic ARGS` in this process with captured output. */
const tsquic = (...args: string[]): Promise<CliRun> => runCli(args);

/** Starts `tsquic serve ARGS --port 0`; resolves with the child and its port once it listens. */
async function startServe(
  args: string[],
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = children.spawn([...CLI, 'serve', '--port', '0', ...args]);
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on [^\n]*:(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, port, stderr: () => err };
}

describe('tsquic serve + tsquic get', () => {
  let work: string;
  let root: string;
  let serve: { child: ChildProcess; port: number; stderr: () => string };
  let certFile: string;
  const small = payload(1024, 11);
  const big = payload(10 * 1024 * 1024, 12);

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-cli-'));
    root = path.join(work, 'www');
    mkdirSync(path.join(root, 'sub'), { recursive: true });
    writeFileSync(path.join(root, 'small.bin'), small);
    writeFileSync(path.join(root, 'sub', 'big.bin'), big);
    writeFileSync(path.join(work, 'outside.txt'), 'secret');
    symlinkSync(path.join(work, 'outside.txt'), path.join(root, 'link.txt'));
    const { certPem, keyPem } = testCert();
    certFile = path.join(work, 'cert.pem');
    writeFileSync(certFile, certPem);
    writeFileSync(path.join(work, 'key.pem'), keyPem);
    serve = await startServe([
      '--root',
      root,
      '--cert',
      certFile,
      '--key',
      path.join(work, 'key.pem'),
    ]);
  });

  after(() => {
    children.killAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('fetches a 1 KB and a 10 MB file over one connection, byte for byte (child processes)', async () => {
    const out = path.join(work, 'out1');
    mkdirSync(out);
    const get = children.spawn([
      ...CLI,
      'get',
      ...HQ,
      '--ca',
      certFile,
      '--output',
      out,
      '--stats',
      `https://localhost:${serve.port}/small.bin`,
      `https://localhost:${serve.port}/sub/big.bin`,
    ]);
    const r = await waitExit(get, 60_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(path.join(out, 'small.bin')).equals(small), '1 KB file identical');
    assert.ok(readFileSync(path.join(out, 'big.bin')).equals(big), '10 MB file identical');
    const stats = JSON.parse(onlyLine(r.stderr)) as Record<string, unknown>;
    assert.equal(stats['alpn'], 'hq-interop');
    assert.ok((stats['bytesReceived'] as number) > big.length);
    assert.deepEqual(Object.keys(stats), [
      'version',
      'alpn',
      'cipher',
      'group',
      'retry',
      'resumed',
      'earlyDataAccepted',
      'handshakeMs',
      'bytesSent',
      'bytesReceived',
      'packetsSent',
      'packetsLost',
      'srttMs',
      'pmtu',
      'keyUpdates',
      'migrated',
    ]);
  });

  it('negotiates QUIC versions from --quic-version lists (RFC 9368)', async () => {
    const key = path.join(work, 'key.pem');
    const common = ['--root', root, '--cert', certFile, '--key', key];
    const prefersV2 = await startServe([...common, '--quic-version', '2,1']);
    const onlyV2 = await startServe([...common, '--quic-version', 'v2']);
    const version = async (port: number, ...args: string[]): Promise<unknown> => {
      const r = await tsquic(
        'get',
        ...HQ,
        '--ca',
        certFile,
        '--stats',
        ...args,
        '-o',
        work,
        `https://localhost:${port}/small.bin`,
      );
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(onlyLine(r.stderr)) as Record<string, unknown>)['version'];
    };
    // A v1 first flight offering v2 is switched to v2 by the server that prefers it.
    assert.equal(await version(prefersV2.port), 0x6b3343cf);
    assert.equal(await version(prefersV2.port, '--quic-version', '1'), 1);
    // A v1 client facing a v2-only server tries again in v2 after Version Negotiation.
    assert.equal(await version(onlyV2.port, '--quic-version', '1,2'), 0x6b3343cf);
    const r = await tsquic(
      'get',
      ...HQ,
      '--ca',
      certFile,
      '--quic-version',
      '1',
      '-o',
      work,
      `https://localhost:${onlyV2.port}/small.bin`,
    );
    assert.equal(r.code, 1);
    assert.match(onlyLine(r.stderr), /version negotiation failed/);
  });

  it('writes the body to stdout without --output', async () => {
    const r = await waitExit(
      children.spawn([
        ...CLI,
        'get',
        ...HQ,
        '--ca',
        certFile,
        `https://127.0.0.1:${serve.port}/small.bin`,
      ]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Buffer.from(r.stdout, 'latin1').equals(small));
  });

  it('exits 1 with one line for a missing file', async () => {
    const r = await tsquic(
      'get',
      ...HQ,
      '--ca',
      certFile,
      '-o',
      work,
      `https://127.0.0.1:${serve.port}/nope.bin`,
    );
    assert.equal(r.code, 1);
    assert.match(
      onlyLine(r.stderr),
      /nope\.bin: stream reset by the server with code 0x2 \(not found\)/,
    );
    assert.equal(existsSync(path.join(work, 'nope.bin')), false, 'no partial file is left');
  });

  it('refuses paths outside the root: encoded dots, absolute-looking paths, symlinks', async () => {
    for (const target of [
      '/..%2foutside.txt',
      '/%2e%2e/outside.txt',
      '/sub/..%2f..%2foutside.txt',
      '/link.txt',
    ]) {
      const r = await tsquic(
        'get',
        ...HQ,
        '--ca',
        certFile,
        '-o',
        work,
        `https://127.0.0.1:${serve.port}${target}`,
      );
      assert.equal(r.code, 1, target);
      assert.match(onlyLine(r.stderr), /not found/, target);
    }
    // Raw request lines, past any URL normalization.
    const conn = connect(
      { host: '127.0.0.1', port: serve.port },
      { alpn: ['hq-interop'], ca: readFileSync(certFile, 'utf8'), serverName: 'localhost' },
    );
    try {
      for (const target of [
        '/../outside.txt',
        '/sub/../../outside.txt',
        '//' + path.join(work, 'outside.txt'),
        '/small.bin/',
        '/small.bin/.',
      ]) {
        const sink: Buffer[] = [];
        const { Writable } = await import('node:stream');
        await assert.rejects(
          hqGet(conn, target, new Writable({ write: (c: Buffer, _e, cb) => (sink.push(c), cb()) })),
          (e: QuicStreamError) => e.code === 'ERR_QUIC_STREAM_RESET' && e.errorCode === 0x2,
          target,
        );
        assert.equal(Buffer.concat(sink).length, 0);
      }
    } finally {
      await conn.close();
    }
  });

  it('refuses a file named with a trailing "/" or "/." over h3 and hq (404, not the file)', async () => {
    for (const alpn of ['h3', 'hq-interop']) {
      for (const target of ['/small.bin/', '/small.bin/.', '/small.bin%2F']) {
        const r = await tsquic(
          'get',
          '--alpn',
          alpn,
          '--ca',
          certFile,
          `https://127.0.0.1:${serve.port}${target}`,
        );
        assert.equal(r.code, 1, `${alpn} ${target}`);
        assert.match(onlyLine(r.stderr), /not found/, `${alpn} ${target}`);
        assert.equal(r.stdout, '', `${alpn} ${target}: nothing of the file`);
      }
    }
  });

  it('refuses an unknown CA, a wrong host name and an expired certificate with one line, exit 1', async () => {
    const other = path.join(work, 'other.pem');
    writeFileSync(other, testCert(['other.example']).certPem);
    const unknown = await tsquic(
      'get',
      ...HQ,
      '--ca',
      other,
      '-o',
      work,
      `https://127.0.0.1:${serve.port}/small.bin`,
    );
    assert.equal(unknown.code, 1);
    assert.match(onlyLine(unknown.stderr), /certificate error: unknown_ca/);

    const system = await tsquic(
      'get',
      ...HQ,
      '-o',
      work,
      `https://127.0.0.1:${serve.port}/small.bin`,
    );
    assert.equal(system.code, 1);
    assert.match(onlyLine(system.stderr), /certificate error: unknown_ca/);

    // A certificate valid for other names, and one that expired: servers in this process.
    for (const [cert, expect] of [
      [testCert(['other.example']), /certificate error: .*127\.0\.0\.1/],
      [
        testCert(['localhost', '127.0.0.1'], {
          notBefore: Date.UTC(2001, 0, 1),
          notAfter: Date.UTC(2002, 0, 1),
        }),
        /certificate error: .*expired/,
      ],
    ] as const) {
      const file = path.join(work, 'peer-cert.pem');
      writeFileSync(file, cert.certPem);
      const server = createServer({ cert: cert.certPem, key: cert.keyPem, alpn: ['hq-interop'] });
      const { port } = await server.listen(0, '127.0.0.1');
      try {
        const r = await tsquic(
          'get',
          ...HQ,
          '--ca',
          file,
          '-o',
          work,
          `https://127.0.0.1:${port}/small.bin`,
        );
        assert.equal(r.code, 1);
        assert.match(onlyLine(r.stderr), expect);
      } finally {
        await server.close();
      }
    }
  });

  it('resumes with --session and sends --early-data; --key-update and --migrate show in --stats', async () => {
    const session = path.join(work, 'session.bin');
    const url = `https://127.0.0.1:${serve.port}/small.bin`;
    const first = await tsquic(
      'get',
      ...HQ,
      '--ca',
      certFile,
      '-o',
      work,
      '--session',
      session,
      '--stats',
      url,
    );
    assert.equal(first.code, 0, first.stderr);
    assert.ok(existsSync(session), 'the ticket was saved');
    const second = await tsquic(
      'get',
      ...HQ,
      '--ca',
      certFile,
      '-o',
      work,
      '--session',
      session,
      '--early-data',
      '--key-update',
      '--migrate',
      '--stats',
      url,
    );
    assert.equal(second.code, 0, second.stderr);
    const stats = JSON.parse(onlyLine(second.stderr)) as Record<string, unknown>;
    assert.equal(stats['resumed'], true);
    assert.equal(stats['earlyDataAccepted'], true);
    assert.ok((stats['keyUpdates'] as number) >= 1);
    assert.equal(stats['migrated'], true);
    assert.ok(readFileSync(path.join(work, 'small.bin')).equals(small));
  });

  it('--session keeps the NEW_TOKEN token per server: the next get needs no Retry (serve --retry)', async () => {
    const retrying = await startServe([
      '--root',
      root,
      '--cert',
      certFile,
      '--key',
      path.join(work, 'key.pem'),
      '--retry',
      '--no-early-data',
    ]);
    const session = path.join(work, 'session-token.json');
    const url = `https://127.0.0.1:${retrying.port}/small.bin`;
    const get = (...extra: string[]): Promise<CliRun> =>
      tsquic(
        'get',
        ...HQ,
        '--ca',
        certFile,
        '-o',
        work,
        '--session',
        session,
        '--stats',
        ...extra,
        url,
      );
    const first = await get();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(onlyLine(first.stderr))['retry'], true, 'no token yet: a Retry');
    const saved = JSON.parse(readFileSync(session, 'utf8')) as {
      servers: Record<string, { ticket?: string; token?: string }>;
    };
    const entry = saved.servers[`127.0.0.1:${retrying.port}`];
    assert.ok(entry?.ticket && entry.token, 'ticket and token saved for the server');
    const second = await get('--early-data');
    assert.equal(second.code, 0, second.stderr);
    const stats = JSON.parse(onlyLine(second.stderr)) as Record<string, unknown>;
    assert.equal(stats['retry'], false, 'the token validated the address');
    assert.equal(stats['resumed'], true);
    assert.equal(stats['earlyDataAccepted'], false, 'serve --no-early-data: 1-RTT requests');
    assert.ok(readFileSync(path.join(work, 'small.bin')).equals(small));
    retrying.child.kill();
  });

  it('reports a refused port and a timeout in one line, exit 1', async () => {
    // Port 9 (discard) on loopback: nothing listens, the kernel answers port unreachable.
    const refused = await tsquic('get', '--insecure', '-o', work, 'https://127.0.0.1:9/x');
    assert.equal(refused.code, 1);
    assert.match(onlyLine(refused.stderr), /connection refused/);
    // A socket that never answers.
    const sink = dgram.createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${sink.address().port}/x`;
      const r = await tsquic('get', '--insecure', '--timeout', '0.5', '-o', work, url);
      assert.equal(r.code, 1);
      assert.match(onlyLine(r.stderr), /timed out after 0\.5 s/);
    } finally {
      sink.close();
    }
  });

  it('rejects bad usage with one line and exit 2, never a stack trace', async () => {
    const otherKeyFile = path.join(work, 'other-key.pem');
    const url = `https://127.0.0.1:${serve.port}/small.bin`;
    const cases: [string[], RegExp][] = [
      [['get', '--bogus', url], /unknown option '--bogus'/],
      [['get'], /at least one URL/],
      [
        ['get', '--ca', path.join(work, 'missing.pem'), url],
        /cannot read .*missing\.pem: no such file/,
      ],
      [['get', '--ca', path.join(work, 'small.txt'), url], /--ca/],
      [['get', '--cipher', 'rot13', url], /--cipher must be one of/],
      [['get', '--alpn', 'h9', url], /--alpn 'h9' is not supported/],
      [['get', '--timeout', 'soon', url], /--timeout/],
      [['get', '--early-data', url], /--early-data needs --session/],
      [['get', 'ftp://example.com/x'], /only https:\/\/ URLs/],
      [['get', 'https://no-such-host.invalid/x'], /unknown host 'no-such-host\.invalid'/],
      [['serve', '--cc', 'vegas'], /--cc must be one of/],
      [['serve', '--cc', 'cubic:beta=2'], /--cc: congestion controller 'cubic': beta must be/],
      [['get', '--cc', 'bbr:gain', url], /--cc options are KEY=VALUE/],
      [['serve', '--cert', certFile], /--cert and --key go together/],
      [
        ['serve', '--cert', certFile, '--key', otherKeyFile],
        /--key .*other-key\.pem is not the private key of --cert .*cert\.pem/,
      ],
      [['serve', '--root', path.join(work, 'nowhere')], /--root/],
      [['serve', '--quic-version', '3'], /--quic-version takes 1, 2 or a list such as 2,1/],
      [['get', '--quic-version', 'v1,1', url], /--quic-version lists 1 twice/],
      [['serve', '--idle-timeout', '9999'], /--idle-timeout must be an integer from 0 to 3600/],
      [['serve', '--max-unvalidated', 'many'], /--max-unvalidated must be an integer/],
      [['serve', '--max-new-per-second', '1.5'], /--max-new-per-second must be an integer/],
      [['get', '--idle-timeout', 'soon', url], /--idle-timeout must be an integer from 0 to 3600/],
      [
        ['get', '-o', work, `${url}?i=1`, `${url}?i=2`],
        /small\.bin\?i=1 and .*small\.bin\?i=2 would both be saved as .*small\.bin/,
      ],
      [['get', '--key-update-after', '0', url], /--key-update-after must be an integer from 1/],
      [['get', '--qlog-format', 'xml', url], /--qlog-format must be ietf or qvis/],
      [['serve', '--preferred-address', 'localhost:4433'], /--preferred-address: 'localhost:4433'/],
    ];
    writeFileSync(path.join(work, 'small.txt'), 'not a certificate');
    writeFileSync(otherKeyFile, testCert(['other.test']).keyPem);
    for (const [args, message] of cases) {
      const r = await tsquic(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(onlyLine(r.stderr), message, args.join(' '));
      assert.match(r.stderr, /^tsquic: /);
    }
    // The same through a real process: one line, exit 2.
    const r = await waitExit(children.spawn([...CLI, 'get', '--bogus', url]));
    assert.equal(r.code, 2);
    assert.equal(onlyLine(r.stderr), "tsquic: unknown option '--bogus'");
  });

  it('documents every flag in --help', async () => {
    const get = await tsquic('get', '--help');
    assert.equal(get.code, 0);
    for (const flag of [
      '--ca',
      '--insecure',
      '--output',
      '--alpn',
      '--cipher',
      '--group',
      '--quic-version',
      '--session',
      '--early-data',
      '--key-update',
      '--migrate',
      '--cc',
      '--keylog',
      '--qlog-dir',
      '--idle-timeout',
      '--timeout',
      '--stats',
    ]) {
      assert.ok(get.stdout.includes(flag), flag);
    }
    const serveHelp = await tsquic('serve', '--help');
    for (const flag of [
      '--host',
      '--port',
      '--cert',
      '--key',
      '--root',
      '--alpn',
      '--retry',
      '--max-unvalidated',
      '--max-new-per-second',
      '--no-auto-retry',
      '--header-timeout',
      '--cc',
      '--quic-version',
      '--keylog',
      '--qlog-dir',
      '--idle-timeout',
    ]) {
      assert.ok(serveHelp.stdout.includes(flag), flag);
    }
    const top = await tsquic('--help');
    for (const name of ['serve', 'get', 'demo'])
      assert.match(top.stdout, new RegExp(`^  ${name} `, 'm'));
  });

  it('writes key log lines and qlog files when asked', async () => {
    const keylog = path.join(work, 'keys.log');
    const qlogDir = path.join(work, 'qlog');
    const r = await tsquic(
      'get',
      ...HQ,
      '--ca',
      certFile,
      '-o',
      work,
      '--keylog',
      keylog,
      '--qlog-dir',
      qlogDir,
      `https://127.0.0.1:${serve.port}/small.bin`,
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(keylog, 'utf8').trim().split('\n');
    assert.ok(lines.some((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0 ')));
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(qlogDir);
    assert.equal(files.length, 1);
    const text = readFileSync(path.join(qlogDir, files[0]!), 'utf8');
    assert.deepEqual(validateQlog(text, 'ietf').slice(0, 10), [], 'the qlog file validates');
    const records = text.split('\x1e').filter((x) => x.trim() !== '');
    const header = JSON.parse(records[0]!) as { serialization_format: string };
    assert.equal(header.serialization_format, 'application/qlog+json-seq');
    assert.ok(
      records.some((x) => (JSON.parse(x) as { name?: string }).name === 'quic:packet_received'),
    );
  });

  it('resolves request targets only to regular files under the root', async () => {
    const files = await HqFileServer.open(root);
    assert.equal(await files.resolve('/small.bin'), path.join(files.root, 'small.bin'));
    assert.equal(await files.resolve('/sub/big.bin?x=1'), path.join(files.root, 'sub', 'big.bin'));
    assert.equal(await files.resolve('/%73mall.bin'), path.join(files.root, 'small.bin'));
    for (const bad of [
      '/',
      '/sub',
      '/missing',
      '/../outside.txt',
      '/sub/../../outside.txt',
      '/%2e%2e/outside.txt',
      '/..%2Foutside.txt',
      '/link.txt',
      '/small.bin%00',
      '/%E0%A4%A',
      '/sub\\..\\..\\outside.txt',
      'small.bin',
      '/small.bin/',
      '/small.bin/.',
      '/small.bin%2F',
      '/small.bin/%2E',
      '/sub/big.bin/',
    ]) {
      assert.equal(await files.resolve(bad), null, bad);
    }
  });

  it('runs the demo: a verified loopback transfer', async () => {
    const r = await tsquic('demo', '--size', '1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^handshake: [\d.]+ ms/m);
    assert.match(r.stdout, /^transfer: 1048576 bytes in /m);
    assert.match(r.stdout, /identical, byte for byte/);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const s = await startServe(['--root', root]);
    const exit = new Promise<number | null>((resolve) =>
      s.child.once('exit', (code) => resolve(code)),
    );
    s.child.kill('SIGTERM');
    assert.equal(await exit, 0);
    // Without --cert/--key: an in-memory certificate, announced with its fingerprint.
    assert.match(s.stderr(), /SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  });
});
