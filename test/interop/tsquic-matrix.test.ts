/**
 * Interop matrix, tsquic against itself through the command line: `tsquic get` → `tsquic serve`
 * (both child processes) over h3 and over hq-interop: 1 KB, 10 MB and 20 more files
 * concurrently on one connection, a download under each cipher suite and each group, Retry, a
 * key update initiated by the client, resumption with 0-RTT, and client migration, all checked
 * byte for byte and through `tsquic get --stats` (and its qlog for the key update).
 *
 * Not covered here, because the commands have no option for it: packet loss (tsquic's side of
 * lossy transfers is covered against ngtcp2 in matrix-ngtcp2-*.test.ts, and over the in-memory
 * network by the scenario tests).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  BIG,
  CIPHER_SUITES,
  GROUPS,
  MANY,
  MEDIUM,
  Processes,
  type QlogEvent,
  SMALL,
  type Site,
  assertDownloaded,
  createSite,
  framesOf,
  freshDir,
  assertKeyUpdateTraced,
  newQlogTraces,
  removeSite,
  runGet,
  startServe,
  urls,
} from './matrix-kit.js';

const MIB = 1 << 20;

/** UDP payload bytes of the packets sent and received before event `index` of a trace. */
function bytesBefore(trace: readonly QlogEvent[], index: number): number {
  let bytes = 0;
  for (const e of trace.slice(0, index)) {
    if (e.name === 'quic:packet_sent' || e.name === 'quic:packet_received') {
      bytes += ((e.data['raw'] as { length?: number } | undefined)?.length ?? 0) as number;
    }
  }
  return bytes;
}

describe('interop matrix: tsquic get → tsquic serve', function () {
  this.timeout(40_000);
  let site: Site | undefined;
  const servers = new Processes();
  const clients = new Processes();
  let port = 0;
  let retryPort = 0;
  /** A server that updates its keys after 1 MiB (`serve --key-update-after`). */
  let keyUpdatePort = 0;

  before(async function () {
    this.timeout(90_000);
    site = createSite('matrix-tsquic', { big: true });
    const common = ['--root', site.www, '--cert', site.certFile, '--key', site.keyFile];
    // Both serve h3 and hq-interop (the default ALPN list); the client picks.
    [port, retryPort, keyUpdatePort] = (
      await Promise.all([
        startServe(servers, common),
        startServe(servers, [...common, '--retry']),
        startServe(servers, [...common, '--key-update-after', String(MIB)]),
      ])
    ).map((s) => s.port) as [number, number, number];
  });

  afterEach(() => clients.killAll());

  after(() => {
    clients.killAll();
    servers.killAll();
    removeSite(site);
  });

  for (const alpn of ['h3', 'hq-interop']) {
    describe(`over ${alpn}`, () => {
      /** `tsquic get --alpn ALPN` of `names` with `args`; checks the bodies. */
      async function get(names: string[], args: string[], opts: { port?: number } = {}) {
        const out = freshDir(site!, 'get');
        const r = await runGet(clients, [
          '--alpn',
          alpn,
          '--ca',
          site!.certFile,
          '--output',
          out,
          ...args,
          ...urls(opts.port ?? port, names),
        ]);
        assertDownloaded(site!, out, names, r.stderr);
        assert.equal(r.stats.alpn, alpn);
        return r.stats;
      }

      it('downloads 1 KB, 10 MB and 20 more files concurrently on one connection', async () => {
        // runGet checks for one --stats line: one connection for the 22 requests.
        await get([SMALL, BIG, ...MANY], []);
      });

      for (const suite of CIPHER_SUITES) {
        it(`downloads under ${suite.name}`, async () => {
          const stats = await get([SMALL, MEDIUM], ['--cipher', suite.cli]);
          assert.equal(stats.cipher, suite.name);
        });
      }

      for (const group of GROUPS) {
        it(`downloads after a ${group.name} key exchange`, async () => {
          const stats = await get([SMALL, MEDIUM], ['--group', group.cli]);
          assert.equal(stats.group, group.name);
        });
      }

      it('downloads after a Retry (serve --retry)', async () => {
        const stats = await get([SMALL, MEDIUM], [], { port: retryPort });
        assert.equal(stats.retry, true);
      });

      it('downloads across a key update the client initiates', async () => {
        const qlog = freshDir(site!, 'qlog');
        const stats = await get([MEDIUM], ['--key-update', '--qlog-dir', qlog]);
        assert.ok(stats.keyUpdates >= 1, `keyUpdates ${stats.keyUpdates}`);
        await assertKeyUpdateTraced(qlog);
      });

      // The QUIC Interop Runner's keyupdate case: the client updates after about 1 MiB.
      it('updates the keys once 1 MiB was exchanged (get --key-update-after)', async () => {
        const qlog = freshDir(site!, 'qlog');
        const stats = await get([BIG], ['--key-update-after', String(MIB), '--qlog-dir', qlog]);
        assert.ok(stats.keyUpdates >= 1, `keyUpdates ${stats.keyUpdates}`);
        const [trace] = await newQlogTraces(qlog, new Set(), 1);
        const first = trace!.findIndex((e) => e.name === 'quic:key_updated');
        assert.equal(trace![first]?.data['trigger'], 'local_update');
        assert.ok(
          bytesBefore(trace!, first) >= MIB,
          `updated after ${bytesBefore(trace!, first)} bytes`,
        );
      });

      it('follows a key update the server makes after 1 MiB (serve --key-update-after)', async () => {
        const qlog = freshDir(site!, 'qlog');
        const stats = await get([BIG], ['--qlog-dir', qlog], { port: keyUpdatePort });
        assert.ok(stats.keyUpdates >= 1, `keyUpdates ${stats.keyUpdates}`);
        const [trace] = await newQlogTraces(qlog, new Set(), 1);
        const first = trace!.findIndex((e) => e.name === 'quic:key_updated');
        assert.equal(trace![first]?.data['trigger'], 'remote_update');
        // The server counts the same datagrams, so it updated after about as many bytes.
        assert.ok(bytesBefore(trace!, first) >= MIB / 2);
      });

      it('resumes and has its 0-RTT requests accepted', async () => {
        const session = path.join(freshDir(site!, 'session'), 'ticket.bin');
        const first = await get([MEDIUM], ['--session', session]);
        assert.equal(first.resumed, false);
        const second = await get([SMALL, MEDIUM], ['--session', session, '--early-data']);
        assert.equal(second.resumed, true);
        assert.equal(second.earlyDataAccepted, true);
      });

      it('migrates to a new local port and downloads on the new path', async () => {
        const qlog = freshDir(site!, 'qlog');
        const stats = await get([MEDIUM], ['--migrate', '--qlog-dir', qlog]);
        assert.equal(stats.migrated, true);
        // RFC 9000 §8.2.2: the server answered our PATH_CHALLENGE on the new path.
        const [trace] = await newQlogTraces(qlog, new Set(), 1);
        const received = framesOf(trace!, 'quic:packet_received').map((f) => f['frame_type']);
        assert.ok(received.includes('path_response'), 'a PATH_RESPONSE from the server');
      });
    });
  }
});
