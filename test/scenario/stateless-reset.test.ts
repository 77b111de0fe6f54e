/**
 * Detecting a stateless reset (RFC 9000 §10.3.1): only the tokens of peer CIDs the client has
 * sent with count, toward the address it sent to, until they are retired; the datagram must be
 * at least 21 bytes; any header form counts; a reset moves the connection to draining, from
 * the closing state too, and nothing is sent after it. Resets are tried both ways they arrive:
 * with a random Destination CID (routed nowhere: the engine's token index) and with the
 * client's own CID (routed to the connection, where it fails to decrypt).
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { forgeStatelessReset } from '../../src/testing/forge.js';
import { addressKey, type SocketAddress } from '../../src/util/address.js';
import { SeededRandom } from '../../src/util/random.js';
import {
  type EnginePair,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
} from '../../src/testing/index.js';

const NEW_LOCAL = { address: PAIR_CLIENT_ADDRESS.address, port: 50001 };
const ATTACKER = { address: '10.0.0.66', port: 6666 };

type Route = 'unknown CID' | 'client CID';
const ROUTES: Route[] = ['unknown CID', 'client CID'];

interface Setup {
  p: EnginePair;
  /** The server's connection: its issued CIDs hold the tokens the client learned. */
  sc: Connection;
  rng: SeededRandom;
  /** Client datagrams seen on the wire since the setup. */
  clientSent: () => number;
}

function setup(seed = 1): Setup {
  const p = createEnginePair({ seed, conditions: { delay: 10_000 } });
  assert.ok(
    p.net.runUntil(() => p.conn.handshakeConfirmed, 5_000_000),
    'handshake',
  );
  // Let the server's NEW_CONNECTION_ID frames arrive.
  p.net.runFor(200_000);
  const sc = p.serverConn()!;
  assert.ok(sc.localCids.all().length > 2, 'the server issued spare CIDs');
  let sent = 0;
  p.net.onSend = (_d, from) => {
    if (addressKey(from).startsWith(`${PAIR_CLIENT_ADDRESS.address}|`)) sent++;
  };
  return { p, sc, rng: new SeededRandom(seed), clientSent: () => sent };
}

function tokenOf(sc: Connection, sequence: number): Uint8Array {
  const c = sc.localCids.get(sequence);
  assert.ok(c, `the server still has CID ${sequence}`);
  return c.resetToken;
}

/** Delivers a stateless reset with `token` to the client, as if from `from`. */
function deliver(
  s: Setup,
  token: Uint8Array,
  route: Route,
  o: { from?: SocketAddress; size?: number; longHeader?: boolean } = {},
): void {
  const { p, rng } = s;
  const data = forgeStatelessReset({
    token,
    random: (n) => rng.bytes(n),
    ...(o.size !== undefined ? { size: o.size } : {}),
    ...(o.longHeader ? { longHeader: true } : {}),
    ...(route === 'client CID' ? { prefix: p.conn.localCids.all()[0]!.cid } : {}),
  });
  p.client.handleDatagram(data, p.conn.localAddress, o.from ?? PAIR_SERVER_ADDRESS, p.net.now);
}

function assertReset(conn: Connection): void {
  assert.equal(conn.state, 'draining');
  assert.equal(conn.closeInfo?.source, 'stateless_reset');
}

/** The client keeps working: a ping is answered. */
function assertAlive(s: Setup): void {
  assert.equal(s.p.conn.state, 'established', `closed by ${s.p.conn.closeInfo?.source}`);
  const before = s.sc.getStats().packetsReceived;
  s.p.conn.ping();
  s.p.net.runFor(100_000);
  assert.ok(s.sc.getStats().packetsReceived > before);
  assert.equal(s.p.conn.state, 'established');
}

describe('scenario: stateless reset detection (RFC 9000 §10.3.1)', function () {
  this.timeout(20_000);

  for (const route of ROUTES) {
    describe(`reset with ${route === 'unknown CID' ? 'a random' : "the client's own"} DCID`, () => {
      it('the token of a CID the client holds but never used is ignored', () => {
        const s = setup();
        assert.equal(s.p.conn.path.dcid.sequence, 0);
        for (const c of s.sc.localCids.all()) {
          if (c.sequence !== 0) deliver(s, c.resetToken, route);
        }
        assertAlive(s);
        // The CID in use counts.
        deliver(s, tokenOf(s.sc, 0), route);
        assertReset(s.p.conn);
      });

      it('after migrating to a new CID its token counts and the retired one is ignored', () => {
        const s = setup();
        assert.ok(s.p.conn.migrate(NEW_LOCAL));
        assert.ok(
          s.p.net.runUntil(() => s.p.conn.path.dcid.sequence !== 0, 2_000_000),
          'migrated',
        );
        const seq = s.p.conn.path.dcid.sequence;
        assert.deepEqual(s.p.conn.localAddress, NEW_LOCAL);
        const retired = tokenOf(s.sc, 0);
        deliver(s, retired, route);
        assertAlive(s);
        deliver(s, tokenOf(s.sc, seq), route);
        assertReset(s.p.conn);
      });

      it('after Retire Prior To, the new CID counts only once the client sent with it', () => {
        const s = setup();
        const { p, sc } = s;
        // The server asks the client to retire CID 0 (§5.1.2).
        sc.controlFrames.queue({
          kind: 'new_connection_id',
          sequenceNumber: 100,
          retirePriorTo: 1,
          connectionId: s.rng.bytes(8),
          statelessResetToken: s.rng.bytes(16),
        });
        sc.ping();
        // Stops right after the client processed it, before it sends anything.
        assert.ok(p.net.runUntil(() => p.conn.path.dcid.sequence !== 0, 1_000_000));
        const seq = p.conn.path.dcid.sequence;
        assert.ok(seq >= 1, 'the client moved to a new CID');
        const fresh = tokenOf(sc, seq);
        // Nothing was sent with the new CID yet, and CID 0 is retired.
        deliver(s, fresh, route);
        deliver(s, tokenOf(sc, 0), route);
        assert.equal(p.conn.state, 'established');
        // The client's RETIRE_CONNECTION_ID leaves with the new CID.
        const sent = s.clientSent();
        p.net.runFor(1000);
        assert.ok(s.clientSent() > sent);
        deliver(s, tokenOf(sc, 0), route);
        assert.equal(p.conn.state, 'established');
        deliver(s, fresh, route);
        assertReset(p.conn);
      });

      it('a reset in the closing state ends it: nothing more is sent', () => {
        const s = setup();
        const { p } = s;
        p.conn.close(0, 'bye');
        // The server's CONNECTION_CLOSE is lost: the client would keep answering its packets.
        p.net.blackhole(p.net.now, p.net.now + 10_000_000, 'client', 'server');
        p.net.runFor(1000);
        assert.equal(p.conn.state, 'closing');
        deliver(s, tokenOf(s.sc, 0), route);
        // Draining now; the close reason stays ours (the first one wins).
        assert.equal(p.conn.state, 'draining');
        assert.equal(p.conn.closeInfo?.source, 'local');
        const sent = s.clientSent();
        // Datagrams for the client's CID no longer draw a CONNECTION_CLOSE.
        for (let i = 0; i < 4; i++) {
          const junk = s.rng.bytes(100);
          junk[0] = 0x40;
          junk.set(p.conn.localCids.all()[0]!.cid, 1);
          p.client.handleDatagram(junk, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
        }
        assert.ok(p.net.runUntil(() => p.conn.isClosed, 2_000_000));
        assert.equal(s.clientSent(), sent);
      });
    });
  }

  it('nothing is sent after a reset, whatever arrives', () => {
    const s = setup();
    const { p, sc } = s;
    deliver(s, tokenOf(sc, 0), 'unknown CID');
    assertReset(p.conn);
    const sent = s.clientSent();
    sc.ping();
    sc.openStream(true)!.write(new Uint8Array(5000), true);
    // Until the draining period ends (then the engine forgets the connection, and answers
    // packets for its CIDs with stateless resets of its own).
    assert.ok(p.net.runUntil(() => p.conn.isClosed, 2_000_000));
    assert.ok(sc.getStats().packetsSent > 0);
    assert.equal(s.clientSent(), sent);
  });

  it('a datagram shorter than 21 bytes is never a reset; 21 bytes is', () => {
    const s = setup();
    deliver(s, tokenOf(s.sc, 0), 'unknown CID', { size: 20 });
    assertAlive(s);
    deliver(s, tokenOf(s.sc, 0), 'unknown CID', { size: 21 });
    assertReset(s.p.conn);
  });

  it('a token only counts from the address the CID was used toward', () => {
    const s = setup();
    deliver(s, tokenOf(s.sc, 0), 'unknown CID', { from: ATTACKER });
    assertAlive(s);
    deliver(s, tokenOf(s.sc, 0), 'unknown CID', { from: PAIR_SERVER_ADDRESS });
    assertReset(s.p.conn);
  });

  it('a reset with a long header form counts too (RFC 9000 §10.3)', () => {
    const s = setup();
    deliver(s, tokenOf(s.sc, 0), 'unknown CID', { longHeader: true, size: 60 });
    assertReset(s.p.conn);
  });
});
