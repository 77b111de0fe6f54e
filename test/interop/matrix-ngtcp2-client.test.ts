/**
 * Interop matrix, ngtcp2's gtlsclient (HTTP/3 over QUIC v1, GnuTLS) → `tsquic serve` (child
 * process): 20 requests on one connection, a download byte for byte under each cipher suite and
 * each group, Retry (serve --retry), a key update gtlsclient initiates, resumption with 0-RTT,
 * active migration and NAT rebinding of the client, and 10 MB with 5% loss each way on the
 * client. The plain 1 KB / 10 MB downloads are in h3-ngtcp2.test.ts.
 *
 * Our side is checked through the server's qlog (--qlog-dir, one trace per connection), the
 * client's through its saved files and, where only it can tell (negotiated suite, Retry
 * received, path validated, 0-RTT rejected), its log. Required in CI (CI=true); skipped with a
 * message elsewhere.
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
  createSite,
  framesOf,
  freshDir,
  gnutlsCiphers,
  gnutlsGroups,
  newQlogTraces,
  packetTypesOf,
  qlogFiles,
  removeSite,
  requirePeers,
  runGtlsClient,
  startServe,
  tail,
} from './matrix-kit.js';

describe('interop matrix: gtlsclient → tsquic serve (h3)', function () {
  this.timeout(40_000);
  let site: Site | undefined;
  const servers = new Processes();
  const clients = new Processes();
  /** `tsquic serve` with a qlog per connection, and one with --retry. */
  let port = 0;
  let retryPort = 0;
  let qlogDir = '';

  before(async function () {
    requirePeers(this, { client: true });
    this.timeout(90_000);
    site = createSite('matrix-gtlsclient', { big: true });
    qlogDir = freshDir(site, 'qlog');
    const common = ['--root', site.www, '--cert', site.certFile, '--key', site.keyFile];
    [port, retryPort] = (
      await Promise.all([
        // A short idle timeout: a client CONNECTION_CLOSE lost to the loss test still ends the
        // connection, and its trace, well within newQlogTraces' wait.
        startServe(servers, [...common, '--qlog-dir', qlogDir, '--idle-timeout', '4']),
        startServe(servers, [...common, '--retry']),
      ])
    ).map((s) => s.port) as [number, number];
  });

  afterEach(() => clients.killAll());

  after(() => {
    clients.killAll();
    servers.killAll();
    removeSite(site);
  });

  /**
   * Runs gtlsclient against the qlog server for `names` (checked byte for byte); returns its
   * output and our trace of each connection it made.
   */
  async function fetch(
    names: readonly string[],
    extra: string[],
    opts: { verbose?: boolean; limitMs?: number } = {},
  ): Promise<{ output: string; trace: QlogEvent[] }> {
    const known = qlogFiles(qlogDir);
    const { output } = await runGtlsClient(clients, site!, port, names, extra, opts);
    const [trace] = await newQlogTraces(qlogDir, known, 1);
    return { output, trace: trace! };
  }

  /** Client-initiated bidirectional streams that carried data to us. */
  function requestStreams(trace: QlogEvent[]): Set<number> {
    const ids = framesOf(trace, 'quic:packet_received')
      .filter((f) => f['frame_type'] === 'stream')
      .map((f) => f['stream_id'] as number);
    return new Set(ids.filter((id) => id % 4 === 0));
  }

  it('answers 20 requests on one connection', async () => {
    const { trace } = await fetch(MANY, []);
    // newQlogTraces found exactly one new connection; on it, 20 request streams.
    assert.equal(requestStreams(trace).size, MANY.length);
  });

  for (const suite of CIPHER_SUITES) {
    it(`serves downloads under ${suite.name}`, async () => {
      const { output } = await fetch([SMALL, MEDIUM], [gnutlsCiphers(suite.gnutls)], {
        verbose: true,
      });
      // gtlsclient offers only this suite; its own report of the outcome:
      assert.match(output, new RegExp(`Negotiated cipher suite is ${suite.gnutls}\\n`));
    });
  }

  for (const group of GROUPS) {
    // gtlsclient offers only this group, so completing the handshake means we agreed on it
    // (RFC 8446 §4.2.7, §4.2.8).
    it(`serves downloads after a ${group.name} key exchange`, async () => {
      await fetch([SMALL, MEDIUM], [gnutlsGroups(group.gnutls)]);
    });
  }

  it('serves downloads after a Retry (serve --retry)', async () => {
    const { output } = await runGtlsClient(clients, site!, retryPort, [SMALL, MEDIUM], [], {
      verbose: true,
    });
    assert.match(output, /pkt rx .* type=Retry /, tail(output));
    // RFC 9000 §7.3: our transport parameters authenticate the Retry.
    assert.match(output, /remote transport_parameters retry_source_connection_id=0x[0-9a-f]+/);
  });

  it('follows a key update that gtlsclient initiates (--key-update)', async () => {
    // The update 300 ms after the handshake (ngtcp2 needs it confirmed: HANDSHAKE_DONE), the
    // requests 600 ms after it: the whole response travels under the new keys.
    const { output, trace } = await fetch(
      [MEDIUM],
      ['--key-update=300ms', '--delay-stream=600ms'],
      { verbose: true },
    );
    assert.match(output, /Initiate key update/, tail(output));
    // RFC 9001 §6.2: we took the peer's update and answered with ours.
    const updates = trace.filter((e) => e.name === 'quic:key_updated');
    assert.deepEqual(
      updates.map((e) => e.data['trigger']),
      ['remote_update'],
      JSON.stringify(updates),
    );
    assert.match(output, /key update confirmed/, 'gtlsclient saw our packets in the new phase');
  });

  it('accepts 0-RTT from a resumed gtlsclient session (--session-file, --tp-file)', async () => {
    const dir = freshDir(site!, 'session');
    const files = [
      `--session-file=${path.join(dir, 'session.pem')}`,
      `--tp-file=${path.join(dir, 'tp.pem')}`,
    ];
    const first = await fetch([MEDIUM], files, { verbose: true });
    assert.ok(
      !packetTypesOf(first.trace, 'quic:packet_received').includes('0RTT'),
      'no ticket yet',
    );
    const second = await fetch([SMALL, MEDIUM], files, { verbose: true });
    assert.match(second.output, /type=0RTT/, 'gtlsclient sent 0-RTT');
    assert.doesNotMatch(second.output, /Early data was rejected/);
    // RFC 9001 §4.6: we accepted the 0-RTT packets (a rejection drops them undecrypted) and
    // the requests they carried.
    const zeroRtt = second.trace.filter(
      (e) =>
        e.name === 'quic:packet_received' &&
        (e.data['header'] as { packet_type?: string }).packet_type === '0RTT',
    );
    assert.ok(zeroRtt.length >= 1, 'our server opened 0-RTT packets');
    const zeroRttStreams = zeroRtt.flatMap((e) =>
      (e.data['frames'] as Record<string, unknown>[]).filter(
        (f) => f['frame_type'] === 'stream' && (f['stream_id'] as number) % 4 === 0,
      ),
    );
    assert.ok(zeroRttStreams.length >= 1, 'a request arrived in 0-RTT');
  });

  it('follows the client to a new address it validates (--change-local-addr)', async () => {
    const { output, trace } = await fetch(
      [MEDIUM],
      ['--change-local-addr=300ms', '--delay-stream=600ms'],
      { verbose: true },
    );
    assert.match(output, /Changing local address/, tail(output));
    // RFC 9000 §9: gtlsclient probed the new path and we answered; we validated it too (§9.3).
    assert.match(output, /Path validation against path .* succeeded/);
    const received = framesOf(trace, 'quic:packet_received').map((f) => f['frame_type']);
    assert.ok(received.includes('path_challenge'), 'the client probed the new path');
    assert.ok(received.includes('path_response'), 'the client answered our challenge');
  });

  it('validates a NAT rebinding of the client (--nat-rebinding)', async () => {
    const { output, trace } = await fetch(
      [MEDIUM],
      ['--change-local-addr=300ms', '--nat-rebinding', '--delay-stream=600ms'],
      { verbose: true },
    );
    const moved = output.indexOf('Changing local address');
    assert.ok(moved >= 0, tail(output));
    // RFC 9000 §9.3: the client did not probe; our PATH_CHALLENGE reached its new address.
    assert.match(output.slice(moved), /frm rx \d+ 1RTT PATH_CHALLENGE/);
    const received = framesOf(trace, 'quic:packet_received').map((f) => f['frame_type']);
    assert.ok(!received.includes('path_challenge'), 'a rebinding, not a migration');
    assert.ok(received.includes('path_response'), 'the new address answered our challenge');
  });

  it('serves 10 MB with 5% loss each way (gtlsclient -t 0.05 -r 0.05)', async function () {
    this.timeout(90_000);
    const { trace } = await fetch([BIG], ['-t', '0.05', '-r', '0.05'], { limitMs: 80_000 });
    // gtlsclient dropped about 1 in 20 of our ~7,500 packets: we sent some STREAM data again.
    let sent = 0;
    let end = 0;
    for (const f of framesOf(trace, 'quic:packet_sent')) {
      if (f['frame_type'] !== 'stream' || (f['stream_id'] as number) !== 0) continue;
      // qlog StreamFrame: the data length is raw.length (draft-ietf-quic-qlog-quic-events).
      const length = (f['raw'] as { length: number }).length;
      sent += length;
      end = Math.max(end, (f['offset'] as number) + length);
    }
    assert.ok(end > 10 * 1024 * 1024, `response stream ends at ${end}`);
    assert.ok(sent > end, `retransmitted ${sent - end} bytes`);
  });
});
