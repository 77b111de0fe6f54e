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
  waitFor,
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

/** The result line of aioquic-peer.py's client. */
interface AioquicResult {
  version: number;
  alpn: string;
  files: string[];
  /** Per file: stream bytes delivered when its response's header section was decoded. */
  headers_at: Record<string, number | null>;
}

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
    result: AioquicResult | null;
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
    const result = line === undefined ? null : (JSON.parse(line) as AioquicResult);
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

    it('tsquic get --multipath --path-from falls back to one path (RFC 10069 §2)', async () => {
      const { port } = await startAioquicServer(['--alpn', 'h3']);
      const out = freshDir(site!, 'get');
      const r = await runGet(procs, [
        '--ca',
        site!.certFile,
        '--output',
        out,
        '--multipath',
        '--path-from',
        '127.0.0.2',
        ...urls(port, [SMALL, MEDIUM]),
      ]);
      assertDownloaded(site!, out, [SMALL, MEDIUM], r.stderr);
      assert.match(r.stderr, /did not negotiate multipath/);
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

    // aioquic's server sends a ticket only when the ClientHello offered psk_key_exchange_modes
    // (RFC 8446 §4.2.9), and checks the binder over the truncated ClientHello (§4.2.11.2), here
    // split over two Initial packets by the hybrid key share offered beside x25519's.
    for (const alpn of ['h3', 'hq-interop']) {
      it(`resumes with aioquic's ticket and sends ${alpn} requests in 0-RTT`, async () => {
        const { peer, port } = await startAioquicServer(['--alpn', alpn, '--tickets']);
        const session = path.join(freshDir(site!, 'session'), 'session.json');
        const args = ['--alpn', alpn, '--session', session];
        const first = await get(port, [SMALL], args);
        assert.equal(first.resumed, false);
        const names = [SMALL, MEDIUM];
        const second = await get(port, names, [...args, '--early-data']);
        assert.equal(second.resumed, true, 'the second connection resumes');
        assert.equal(second.earlyDataAccepted, true, '0-RTT data sent and accepted');
        const handshakes = (): string[] =>
          peer.stdout().match(/^handshake .*$/gm) ?? ([] as string[]);
        await waitFor(() => handshakes().length === 2, 5_000, 'two handshakes logged');
        const lines = handshakes();
        assert.equal(lines[0], 'handshake resumed=0 early=0 early_requests=0 early_qpack=0');
        const m = /^handshake resumed=1 early=1 early_requests=(\d+) early_qpack=(\d+)$/.exec(
          lines[1]!,
        );
        assert.ok(m !== null, lines[1]);
        assert.equal(Number(m[1]), names.length);
        // h3: the requests were encoded against the SETTINGS remembered with the ticket (RFC 9114
        // §7.2.4.2), so QPACK inserts went out in 0-RTT too; hq-interop has no QPACK.
        if (alpn === 'h3') assert.ok(Number(m[2]) > 0, `QPACK inserts in 0-RTT: ${lines[1]}`);
        else assert.equal(Number(m[2]), 0);
      });
    }

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

    // RFC 9204 §2.1.1: a header section that refers to a dynamic-table entry blocks until the
    // insert arrives on the encoder stream. aioquic's client offers a table, so the server's
    // insert must leave before the body it heads, not after it.
    it('sends the QPACK insert before the body: a lone GET is not header-blocked', async () => {
      const s = site!;
      const { port } = await startServe(procs, [
        '--root',
        s.www,
        '--cert',
        s.certFile,
        '--key',
        s.keyFile,
      ]);
      const r = await runAioquicClient(port, [MEDIUM], ['--alpn', 'h3']);
      assert.equal(r.code, 0, `aioquic client failed:\n${tail(r.log)}`);
      assertDownloaded(s, r.out, [MEDIUM], r.log);
      const at = r.result?.headers_at[MEDIUM];
      assert.ok(
        typeof at === 'number' && at < 16 * 1024,
        `headers decoded after ${at} of ${MEDIUM}'s stream bytes`,
      );
    });

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
