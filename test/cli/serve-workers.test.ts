/**
 * `tsquic serve --workers N` as a user runs it: a router thread and N worker threads behind one
 * UDP port. Downloads over HTTP/3 and hq-interop are byte-exact whichever worker holds the
 * connection, a Retry minted by one worker is honoured, and SIGTERM drains and exits 0.
 */
import assert from 'node:assert/strict';
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

  it('serves h3 and hq-interop from two workers, byte for byte, and drains on SIGTERM', async () => {
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

  it('refuses a worker count out of range with one line', async () => {
    const peer = procs.start([...TSQUIC, 'serve', '--workers', '0']);
    const exit = await finished(peer, 15_000, 'tsquic serve --workers 0');
    assert.equal(exit.code, 2);
    assert.match(peer.stderr(), /--workers/);
  });
});
