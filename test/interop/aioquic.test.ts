/**
 * Interop with aioquic 1.3.0 (Python QUIC + HTTP/3, an implementation independent of ngtcp2),
 * both ways: `tsquic get` → aioquic's server and aioquic's client → `tsquic serve`, over HTTP/3
 * and hq-interop, QUIC v1 and v2 (RFC 9369), with a Retry from aioquic's server. Downloads are
 * compared byte for byte; a missing file is a failure on both sides.
 *
 * The peer is test/interop/aioquic-peer.py under the venv that
 * ../shared/peers/aioquic/build.sh builds (`.ci/run` builds it into .peers/aioquic and exports
 * AIOQUIC_PYTHON). Required in CI (CI=true); skipped with a message elsewhere.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CI,
  MANY,
  MEDIUM,
  Processes,
  SMALL,
  TSQUIC,
  type Peer,
  type Site,
  assertDownloaded,
  createSite,
  finished,
  freshDir,
  removeSite,
  runGet,
  startListening,
  startServe,
  tail,
  urls,
} from './matrix-kit.js';

/** The repository's root: the nearest folder above this file with a package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

const ROOT = repoRoot();
const PEER_SCRIPT = path.join(ROOT, 'test', 'interop', 'aioquic-peer.py');
const PYTHON =
  process.env['AIOQUIC_PYTHON'] ?? path.join(ROOT, '.peers', 'aioquic', 'bin', 'python');

/** QUIC v2's version number (RFC 9369 §3.1). */
const V2 = 0x6b3343cf;

describe('interop: aioquic', function () {
  this.timeout(40_000);
  let site: Site | undefined;
  const procs = new Processes();

  before(function () {
    if (!existsSync(PYTHON)) {
      const what = `aioquic venv not found at ${PYTHON} (build it with ../shared/peers/aioquic/build.sh, or set AIOQUIC_PYTHON)`;
      if (CI) throw new Error(`interop peer missing in CI: ${what}`);
      console.log(`    skipped: ${what}`);
      this.skip();
    }
    site = createSite('aioquic', { big: false });
  });

  afterEach(() => procs.killAll());

  after(() => {
    procs.killAll();
    removeSite(site);
  });

  /** Starts aioquic's server on a free port; resolves once it printed `listening on`. */
  function startAioquicServer(args: string[]): Promise<{ peer: Peer; port: number }> {
    const s = site!;
    return startListening(
      procs,
      [
        PYTHON,
        PEER_SCRIPT,
        'server',
        '--www',
        s.www,
        '--cert',
        s.certFile,
        '--key',
        s.keyFile,
        ...args,
      ],
      'aioquic server',
    );
  }

  /** Runs aioquic's client for `names`; returns its exit code, result line and output. */
  async function runAioquicClient(
    port: number,
    names: readonly string[],
    args: string[],
  ): Promise<{
    code: number | null;
    result: { version: number; alpn: string } | null;
    out: string;
    log: string;
  }> {
    const out = freshDir(site!, 'aioquic-client');
    const peer = procs.start([
      PYTHON,
      PEER_SCRIPT,
      'client',
      '--ca',
      site!.certFile,
      '--out',
      out,
      ...args,
      ...urls(port, names),
    ]);
    const r = await finished(peer, 30_000, 'aioquic client');
    const line = peer
      .stdout()
      .split('\n')
      .find((l) => l.startsWith('{'));
    const result =
      line === undefined ? null : (JSON.parse(line) as { version: number; alpn: string });
    return { code: r.code, result, out, log: peer.output() };
  }

  async function get(port: number, names: readonly string[], args: string[]) {
    const out = freshDir(site!, 'get');
    const r = await runGet(procs, [
      '--ca',
      site!.certFile,
      '--output',
      out,
      ...args,
      ...urls(port, names),
    ]);
    assertDownloaded(site!, out, names, r.stderr);
    return r.stats;
  }

  describe('tsquic get → aioquic server', () => {
    it('downloads over HTTP/3, QUIC v1, twenty requests at once', async () => {
      const { port } = await startAioquicServer(['--alpn', 'h3']);
      const stats = await get(port, [SMALL, MEDIUM, ...MANY], []);
      assert.equal(stats.version, 1);
      assert.equal(stats.alpn, 'h3');
    });

    it('downloads over HTTP/3, QUIC v2', async () => {
      const { port } = await startAioquicServer(['--alpn', 'h3', '--versions', '2,1']);
      const stats = await get(port, [SMALL, MEDIUM], ['--quic-version', '2']);
      assert.equal(stats.version, V2);
    });

    it('a v1 first flight offering v2 is switched to v2 by a v1+v2 server (RFC 9368 §2.3)', async () => {
      const { port } = await startAioquicServer(['--alpn', 'h3', '--versions', '1,2']);
      const stats = await get(port, [SMALL, MEDIUM], ['--quic-version', '2,1']);
      assert.equal(stats.version, V2);
    });

    it('a v1 client facing a v2-only server tries again in v2 (RFC 9368 §2.1)', async () => {
      const { port } = await startAioquicServer(['--alpn', 'h3', '--versions', '2']);
      const stats = await get(port, [SMALL, MEDIUM], []);
      assert.equal(stats.version, V2);
    });

    it('downloads over hq-interop', async () => {
      const { port } = await startAioquicServer(['--alpn', 'hq-interop']);
      const stats = await get(port, [SMALL, MEDIUM], ['--alpn', 'hq-interop']);
      assert.equal(stats.alpn, 'hq-interop');
    });

    it('follows a Retry', async () => {
      const { port } = await startAioquicServer(['--alpn', 'h3', '--retry']);
      const stats = await get(port, [MEDIUM], []);
      assert.equal(stats.retry, true);
    });

    it('fails with exit 1 and one line for a missing file', async () => {
      const { port } = await startAioquicServer(['--alpn', 'h3']);
      const peer = procs.start([
        ...TSQUIC,
        'get',
        '--ca',
        site!.certFile,
        '--output',
        freshDir(site!, 'get'),
        ...urls(port, ['no-such-file']),
      ]);
      const r = await finished(peer, 30_000, 'tsquic get');
      assert.equal(r.code, 1, peer.output());
      assert.match(peer.stderr(), /404/);
    });
  });

  describe('aioquic client → tsquic serve', () => {
    const cases = [
      { what: 'HTTP/3, QUIC v1', serve: [], client: ['--alpn', 'h3'], version: 1, alpn: 'h3' },
      {
        what: 'HTTP/3, QUIC v2',
        serve: [],
        client: ['--alpn', 'h3', '--versions', '2'],
        version: V2,
        alpn: 'h3',
      },
      {
        what: 'a v1 first flight offering v2, switched to v2 (RFC 9368 §2.3)',
        serve: ['--quic-version', '2,1'],
        client: ['--alpn', 'h3', '--versions', '2,1', '--original-version', '1'],
        version: V2,
        alpn: 'h3',
      },
      {
        what: 'a v2 first flight to a v1-only server, after Version Negotiation (RFC 9368 §2.1)',
        serve: ['--quic-version', '1'],
        client: ['--alpn', 'h3', '--versions', '1,2', '--original-version', '2'],
        version: 1,
        alpn: 'h3',
      },
      {
        what: 'hq-interop, QUIC v1',
        serve: ['--alpn', 'hq-interop'],
        client: ['--alpn', 'hq-interop'],
        version: 1,
        alpn: 'hq-interop',
      },
    ];
    for (const c of cases) {
      it(`serves ${c.what}`, async () => {
        const s = site!;
        const { port } = await startServe(procs, [
          '--root',
          s.www,
          '--cert',
          s.certFile,
          '--key',
          s.keyFile,
          ...c.serve,
        ]);
        const names = [SMALL, MEDIUM, ...MANY.slice(0, 5)];
        const r = await runAioquicClient(port, names, c.client);
        assert.equal(r.code, 0, `aioquic client failed:\n${tail(r.log)}`);
        assertDownloaded(s, r.out, names, r.log);
        assert.equal(r.result?.version, c.version);
        assert.equal(r.result?.alpn, c.alpn);
      });
    }

    it('reports a missing file as a failure (the peer script is not a rubber stamp)', async () => {
      const s = site!;
      const { port } = await startServe(procs, [
        '--root',
        s.www,
        '--cert',
        s.certFile,
        '--key',
        s.keyFile,
      ]);
      const r = await runAioquicClient(port, ['no-such-file'], ['--alpn', 'h3']);
      assert.equal(r.code, 1, r.log);
      assert.match(r.log, /status 404/);
    });
  });
});
