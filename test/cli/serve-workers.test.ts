/**
 * `tsquic serve --workers N` as a user runs it: N worker threads behind one UDP port (each with
 * its own socket of a kernel-steered group on the native backend, behind a router thread on
 * node:dgram). Downloads over HTTP/3 and hq-interop are byte-exact whichever worker holds the
 * connection, a Retry minted by one worker is honoured, SIGHUP reloads, SIGTERM drains (a download
 * in flight finishes, new clients are refused) and exits 0, a second SIGTERM exits 1 at once.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { UdpRelay } from '../../src/testing/relay.js';
import { connect } from '../../src/node/index.js';
import { payload, testCert } from '../node/helpers.js';
import {
  MANY,
  MEDIUM,
  Processes,
  SMALL,
  type Site,
  assertDownloaded,
  createSite,
  finished,
  freshDir,
  removeSite,
  runGet,
  startServe,
  TSQUIC,
  urls,
  waitFor,
} from '../interop/matrix-kit.js';

describe('cli: serve --workers', function () {
  this.timeout(60_000);
  let site: Site | undefined;
  const procs = new Processes();

  before(() => {
    site = createSite('workers', { big: false });
  });
  afterEach(() => procs.killAll());
  after(() => {
    procs.killAll();
    removeSite(site);
  });

  const serveArgs = (): string[] => [
    '--root',
    site!.www,
    '--cert',
    site!.certFile,
    '--key',
    site!.keyFile,
  ];

  it('serves h3 and hq-interop from two workers, byte for byte, and stops on SIGTERM', async function () {
    this.timeout(120_000); // eight `tsquic get` processes one after another
    const { peer, port } = await startServe(procs, [...serveArgs(), '--workers', '2']);
    assert.match(peer.stderr(), /2 worker threads/);
    for (const alpn of [[], ['--alpn', 'hq-interop']]) {
      // Several connections: the router spreads them over both workers.
      for (let i = 0; i < 4; i++) {
        const out = freshDir(site!, 'get');
        const names = [SMALL, MEDIUM, ...MANY.slice(0, 4)];
        const r = await runGet(procs, [
          '--ca',
          site!.certFile,
          '--output',
          out,
          ...alpn,
          ...urls(port, names),
        ]);
        assertDownloaded(site!, out, names, r.stderr);
      }
    }
    peer.child.kill('SIGTERM');
    const exit = await finished(peer, 15_000, 'tsquic serve --workers 2');
    assert.equal(exit.code, 0, peer.output());
  });

  /**
   * A download over hq-interop whose reader holds back (a 64 kB stream window: the server cannot
   * finish sending until the client reads) while `tsquic serve` gets SIGTERM.
   */
  async function downloadAcrossSigterm(workers: string): Promise<void> {
    const s = site!;
    const name = 'drain.bin';
    const file = payload(2 * 1024 * 1024, 9);
    writeFileSync(path.join(s.www, name), file);
    const { peer, port } = await startServe(procs, [
      ...serveArgs(),
      '--workers',
      workers,
      '--alpn',
      'hq-interop',
      // Long enough that only the connection's end, never the limit, ends the drain.
      '--drain-timeout',
      '100',
    ]);
    const conn = connect(
      { host: '127.0.0.1', port },
      {
        alpn: ['hq-interop'],
        ca: readFileSync(s.certFile, 'utf8'),
        serverName: 'localhost',
        initialMaxStreamData: 64 * 1024,
        maxStreamWindow: 64 * 1024,
      },
    );
    try {
      await conn.ready;
      const stream = await conn.openStream();
      stream.end(`GET /${name}\r\n`);
      const chunks: Buffer[] = [];
      const first = new Promise<void>((resolve) =>
        stream.on('data', (c: Buffer) => {
          chunks.push(c);
          if (chunks.length === 1) {
            stream.pause();
            resolve();
          }
        }),
      );
      const ended = once(stream, 'end');
      await first;
      peer.child.kill('SIGTERM');
      await waitFor(() => /SIGTERM: draining/.test(peer.stderr()), 15_000, 'the drain');
      stream.resume();
      await ended;
      assert.ok(Buffer.concat(chunks).equals(file), 'the file, byte for byte');
      // The server waits for the connection, which is still open.
      assert.equal(peer.child.exitCode, null, peer.output());
      // A new client is refused meanwhile.
      const late = connect(
        { host: '127.0.0.1', port },
        { alpn: ['hq-interop'], ca: readFileSync(s.certFile, 'utf8'), serverName: 'localhost' },
      );
      await assert.rejects(late.ready, { code: 'ERR_QUIC_REFUSED' });
      await conn.close();
    } finally {
      conn.destroy();
    }
    const exit = await finished(peer, 15_000, 'tsquic serve after SIGTERM');
    assert.equal(exit.code, 0, peer.output());
  }

  it('on SIGTERM finishes a download in flight, refuses new clients, then exits 0 (two workers)', async () => {
    await downloadAcrossSigterm('2');
  });

  it('on SIGTERM finishes a download in flight, refuses new clients, then exits 0 (one engine)', async () => {
    await downloadAcrossSigterm('1');
  });

  it('exits 1 at once on a second SIGTERM, connections or not', async () => {
    const s = site!;
    const { peer, port } = await startServe(procs, [...serveArgs(), '--workers', '2']);
    const conn = connect(
      { host: '127.0.0.1', port },
      { alpn: ['hq-interop'], ca: readFileSync(s.certFile, 'utf8'), serverName: 'localhost' },
    );
    try {
      await conn.ready;
      peer.child.kill('SIGTERM');
      await waitFor(() => /SIGTERM: draining/.test(peer.stderr()), 15_000, 'the drain');
      peer.child.kill('SIGTERM');
      const exit = await finished(peer, 15_000, 'tsquic serve after a second SIGTERM');
      assert.equal(exit.code, 1, peer.output());
      assert.match(peer.stderr(), /SIGTERM again/);
      assert.doesNotMatch(peer.stderr(), /internal error/);
    } finally {
      conn.destroy();
    }
  });

  it('honours a Retry token whichever worker minted it', async () => {
    const { port } = await startServe(procs, [...serveArgs(), '--workers', '2', '--retry']);
    for (let i = 0; i < 3; i++) {
      const out = freshDir(site!, 'get');
      const r = await runGet(procs, [
        '--ca',
        site!.certFile,
        '--output',
        out,
        ...urls(port, [MEDIUM]),
      ]);
      assertDownloaded(site!, out, [MEDIUM], r.stderr);
      assert.equal(r.stats.retry, true);
    }
  });

  it('reloads on SIGHUP with the certificate files read again', async () => {
    const s = site!;
    // A copy of the site's certificate that the test replaces before the reload.
    const dir = freshDir(s, 'reload');
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    copyFileSync(s.certFile, certFile);
    copyFileSync(s.keyFile, keyFile);
    const { peer, port } = await startServe(procs, [
      '--root',
      s.www,
      '--cert',
      certFile,
      '--key',
      keyFile,
      '--workers',
      '2',
    ]);
    const fetchWith = async (ca: string): Promise<void> => {
      const out = freshDir(s, 'get');
      const r = await runGet(procs, ['--ca', ca, '--output', out, ...urls(port, [MEDIUM])]);
      assertDownloaded(s, out, [MEDIUM], r.stderr);
    };
    await fetchWith(s.certFile);
    const renewed = testCert(['localhost', '127.0.0.1'], { notBefore: Date.UTC(2021, 0, 1) });
    writeFileSync(certFile, renewed.certPem);
    writeFileSync(keyFile, renewed.keyPem);
    const renewedCa = path.join(dir, 'renewed-ca.pem');
    writeFileSync(renewedCa, renewed.certPem);
    peer.child.kill('SIGHUP');
    await waitFor(() => /reloaded/.test(peer.stderr()), 20_000, 'the reload');
    await fetchWith(renewedCa);
    peer.child.kill('SIGTERM');
    assert.equal((await finished(peer, 15_000, 'tsquic serve')).code, 0, peer.output());
  });

  it('completes a two-datagram ClientHello whose second datagram and next five are lost (amplificationlimit)', async function () {
    this.timeout(90_000);
    const { port } = await startServe(procs, [...serveArgs(), '--workers', '2']);
    // The interop runner's amplificationlimit network: the client's datagrams 2-7 are dropped,
    // here over a 500 ms round trip. The client's hybrid key share (X25519MLKEM768) makes its
    // ClientHello two Initial datagrams; the rest comes only after three lost probe rounds,
    // whose backoff the server's ACK of the first datagram does not reset (RFC 9002 §6.2.1):
    // about 21 round trips after the first, and the server must still hold the connection.
    const relay = await UdpRelay.start({
      server: { address: '127.0.0.1', port },
      toServer: { dropList: [2, 3, 4, 5, 6, 7], delayMs: 250 },
      toClient: { delayMs: 250 },
      record: true,
    });
    try {
      const out = freshDir(site!, 'get');
      const r = await runGet(
        procs,
        ['--ca', site!.certFile, '--output', out, ...urls(relay.address().port, [SMALL])],
        60_000,
      );
      assertDownloaded(site!, out, [SMALL], r.stderr);
      assert.equal(r.stats.group, 'X25519MLKEM768');
      const fromClient = relay.trace.filter((t) => t.direction === 'toServer');
      assert.ok(
        fromClient[0]!.data.length >= 1200 && fromClient[1]!.data.length >= 1200,
        'a ClientHello of two Initial datagrams',
      );
      assert.deepEqual(
        fromClient.slice(0, 8).map((t) => t.fate),
        [
          'delivered',
          'dropped',
          'dropped',
          'dropped',
          'dropped',
          'dropped',
          'dropped',
          'delivered',
        ],
      );
    } finally {
      relay.close();
    }
  });

  it('writes qlog files from the workers into a --qlog-dir it makes', async () => {
    const qlogDir = path.join(freshDir(site!, 'qlog'), 'made-by-serve');
    const { peer, port } = await startServe(procs, [
      ...serveArgs(),
      '--workers',
      '2',
      '--qlog-dir',
      qlogDir,
    ]);
    const out = freshDir(site!, 'get');
    const r = await runGet(procs, [
      '--ca',
      site!.certFile,
      '--output',
      out,
      ...urls(port, [SMALL]),
    ]);
    assertDownloaded(site!, out, [SMALL], r.stderr);
    peer.child.kill('SIGTERM');
    assert.equal((await finished(peer, 15_000, 'tsquic serve')).code, 0, peer.output());
    assert.ok(
      readdirSync(qlogDir).some((f) => f.endsWith('_server.sqlog')),
      'a server qlog file',
    );
  });

  it('runs one worker per core without --workers', async () => {
    const cores = Math.min(255, availableParallelism());
    const { peer } = await startServe(procs, serveArgs());
    if (cores > 1) assert.match(peer.stderr(), new RegExp(`${cores} worker threads`));
    else assert.doesNotMatch(peer.stderr(), /worker threads/);
    peer.child.kill('SIGTERM');
    assert.equal((await finished(peer, 15_000, 'tsquic serve')).code, 0, peer.output());
  });

  it('refuses a worker count out of range with one line', async () => {
    const peer = procs.start([...TSQUIC, 'serve', '--workers', '0']);
    const exit = await finished(peer, 15_000, 'tsquic serve --workers 0');
    assert.equal(exit.code, 2);
    assert.match(peer.stderr(), /--workers/);
  });
});
