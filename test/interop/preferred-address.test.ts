/**
 * `tsquic serve --preferred-address` (RFC 9000 §9.6): the server offers a second address in
 * preferred_address, listens there too, and the client moves to it after the handshake. This is
 * the server side of the QUIC Interop Runner's connectionmigration case. Clients: ngtcp2's
 * gtlsclient (which uses a preferred address unless told not to) and `tsquic get`. The move is
 * checked in the server's qlog: the connection's local address became the preferred one, and the
 * download finished byte for byte.
 */
import assert from 'node:assert/strict';
import {
  BIG,
  MEDIUM,
  Processes,
  type QlogEvent,
  type Site,
  createSite,
  freeUdpPort,
  freshDir,
  newQlogTraces,
  qlogFiles,
  removeSite,
  requirePeers,
  runGet,
  runGtlsClient,
  startServe,
  urls,
  assertDownloaded,
} from './matrix-kit.js';

/** The server's local ports the connection moved to (migration_state_updated). */
function movedToPorts(trace: readonly QlogEvent[]): number[] {
  return trace
    .filter((e) => e.name === 'quic:migration_state_updated')
    .map((e) => (e.data['tuple_local'] as { port_v4?: number }).port_v4 ?? -1);
}

describe('tsquic serve --preferred-address (connectionmigration, server side)', function () {
  this.timeout(60_000);
  let site: Site | undefined;
  const servers = new Processes();
  const clients = new Processes();
  let port = 0;
  let preferredPort = 0;
  let qlogDir = '';

  before(async function () {
    this.timeout(90_000);
    site = createSite('preferred-address', { big: true });
    qlogDir = freshDir(site, 'qlog');
    preferredPort = await freeUdpPort();
    ({ port } = await startServe(servers, [
      '--root',
      site.www,
      '--cert',
      site.certFile,
      '--key',
      site.keyFile,
      '--qlog-dir',
      qlogDir,
      '--preferred-address',
      `127.0.0.1:${preferredPort}`,
    ]));
  });

  afterEach(() => clients.killAll());

  after(() => {
    clients.killAll();
    servers.killAll();
    removeSite(site);
  });

  // The client moves once the handshake is confirmed: 10 MB is still arriving by then.
  it('tsquic get moves to the preferred address and downloads there', async () => {
    const known = qlogFiles(qlogDir);
    const out = freshDir(site!, 'get');
    const r = await runGet(clients, [
      '--ca',
      site!.certFile,
      '--output',
      out,
      ...urls(port, [BIG]),
    ]);
    assertDownloaded(site!, out, [BIG], r.stderr);
    assert.equal(r.stats.migrated, true, 'the client moved');
    const traces = await newQlogTraces(qlogDir, known, 1);
    // The client's socket leaves its connected state to reach the new address, and the kernel
    // gives it a new port too: the server may see that move first (a rebinding it validates).
    const ports = movedToPorts(traces[0]!);
    assert.equal(ports[ports.length - 1], preferredPort, `moves: ${ports.join(', ')}`);
  });

  it('gtlsclient moves to the preferred address and downloads there', async function () {
    requirePeers(this, { client: true });
    const known = qlogFiles(qlogDir);
    // The delay keeps the request until after the move (gtlsclient migrates once confirmed).
    // --no-pmtud: gtlsclient (ngtcp2 0.12) may send a PMTUD probe on the old path just before
    // retiring that path's connection ID; when the retirement is processed first, our stateless
    // reset for the probe ends its connection, although RFC 9000 §10.3.1 bars a client from
    // checking the reset tokens of retired connection IDs.
    const { output } = await runGtlsClient(
      clients,
      site!,
      port,
      [MEDIUM],
      ['--delay-stream=500ms', '--no-pmtud'],
      {
        verbose: true,
      },
    );
    const traces = await newQlogTraces(qlogDir, known, 1);
    assert.deepEqual(movedToPorts(traces[0]!), [preferredPort], output.slice(-2000));
  });
});
