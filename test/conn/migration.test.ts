import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { PeerCids } from '../../src/conn/cids.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import {
  maybeUsePreferredAddress,
  onPathChallenge,
  onPathPacket,
  onPathResponse,
  preferredAddressParam,
  startMigration,
} from '../../src/conn/migration.js';
import { PathSet } from '../../src/conn/path-set.js';
import { PathState } from '../../src/conn/path-state.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { SpaceState } from '../../src/conn/space.js';
import { ConnectionStats } from '../../src/conn/stats.js';
import { SendControl } from '../../src/path/send-control.js';
import type { SocketAddress } from '../../src/util/address.js';
import {
  defaultTransportParameters,
  type TransportParameters,
} from '../../src/wire/transport-params.js';

const LOCAL: SocketAddress = { address: '10.0.0.1', port: 4433 };
const PEER: SocketAddress = { address: '192.0.2.1', port: 5000 };
const MOVED: SocketAddress = { address: '198.51.100.7', port: 6000 };
const CHALLENGE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

/**
 * A connection as migration.ts sees it: a real path set and peer CID set around one validated
 * path, and recording stand-ins for the rest.
 */
function fakeConnection(isClient: boolean, confirmed = true) {
  const sc = new SendControl<SentFrame>({ isServer: !isClient, initialRtt: 100_000 });
  const peerCids = new PeerCids(new Uint8Array(8).fill(0xa0), 8);
  const local = isClient ? PEER : LOCAL;
  const remote = isClient ? LOCAL : PEER;
  const first = new PathState(local, remote, sc, true, peerCids.current);
  const events: unknown[][] = [];
  const retired: number[][] = [];
  let wakes = 0;
  let random = 0;
  return {
    isClient,
    handshakeConfirmed: confirmed,
    peerParams: null as TransportParameters | null,
    paths: new PathSet(first, 0),
    peerCids,
    rx: { local, remote, size: 1200, pn: 0 },
    spaces: [
      new SpaceState(PnSpace.Initial, 25_000),
      new SpaceState(PnSpace.Handshake, 25_000),
      new SpaceState(PnSpace.Application, 25_000),
    ] as [SpaceState, SpaceState, SpaceState],
    stats: new ConnectionStats(),
    opts: { initialRttUs: 100_000 },
    provider: { random: (n: number) => new Uint8Array(n).fill(++random) },
    ptoPeriod: () => 300_000,
    controlFrames: { retireCids: (seqs: number[]) => retired.push([...seqs]) },
    onPeerResetTokens: () => {},
    emit: (...args: unknown[]) => events.push(args),
    wake: () => wakes++,
    get wakes() {
      return wakes;
    },
    events,
    retired,
    qlog: undefined,
  };
}
type Fake = ReturnType<typeof fakeConnection>;
const ctx = (c: Fake) => c as unknown as ConnectionContext;

/** The peer gives a spare CID with sequence `seq`. */
function spareCid(conn: Fake, seq: number): void {
  conn.peerCids.add({
    kind: 'new_connection_id',
    sequenceNumber: seq,
    retirePriorTo: 0,
    connectionId: new Uint8Array(8).fill(0xa0 + seq),
    statelessResetToken: new Uint8Array(16).fill(seq),
  });
}

/** A 1-RTT packet `pn` from `remote` arrived (and is the largest so far). */
function receiveFrom(conn: Fake, remote: SocketAddress, pn: number): void {
  conn.rx.remote = remote;
  conn.rx.pn = pn;
  conn.spaces[PnSpace.Application].tracker.onPacketReceived(pn, true, 0);
}

describe('conn/migration: path validation and migration (RFC 9000 §8.2, §9)', () => {
  describe('PATH_CHALLENGE (RFC 9000 §8.2.2)', () => {
    it('is answered on the active path it came on, with a copy of its data', () => {
      const conn = fakeConnection(false);
      const data = CHALLENGE.slice();
      onPathChallenge(ctx(conn), data, 10);
      assert.deepEqual(conn.paths.active.responses, [CHALLENGE]);
      data[0] = 99;
      assert.equal(conn.paths.active.responses[0]![0], 1, 'not a view of the packet');
    });

    it('a flood of challenges keeps at most four responses', () => {
      const conn = fakeConnection(false);
      for (let i = 0; i < 10; i++) onPathChallenge(ctx(conn), CHALLENGE, 10);
      assert.equal(conn.paths.active.responses.length, 4);
    });

    it('from an unknown address: answered on a new probe path, without migrating', () => {
      const conn = fakeConnection(false);
      const active = conn.paths.active;
      conn.rx.remote = MOVED;
      onPathChallenge(ctx(conn), CHALLENGE, 10);
      assert.equal(conn.paths.active, active, 'no migration on a probe');
      assert.equal(active.responses.length, 0);
      const probe = conn.paths.probe;
      assert.ok(probe);
      assert.deepEqual(probe.remote, MOVED);
      assert.deepEqual(probe.responses, [CHALLENGE]);
      assert.equal(probe.validated, false);
      assert.equal(conn.stats.migrations, 0);
    });
  });

  describe('a server follows a client that moved (RFC 9000 §9.3)', () => {
    it('a non-probing packet with the largest packet number from a new address moves the active path and validates it', () => {
      const conn = fakeConnection(false);
      spareCid(conn, 1);
      const old = conn.paths.active;
      receiveFrom(conn, MOVED, 5);
      onPathPacket(ctx(conn), true, 1000);
      const now = conn.paths.active;
      assert.notEqual(now, old);
      assert.deepEqual(now.remote, MOVED);
      assert.equal(now.validation, 'validating', 'the new path is validated (§9.3.1)');
      assert.equal(now.dcid.sequence, 1, 'with a CID not used on the old path (§9.5)');
      assert.equal(conn.peerCids.current.sequence, 1);
      assert.deepEqual(conn.retired, [[0]], 'the old CID is retired (§5.1.2)');
      assert.equal(conn.paths.fallback, old, 'the old validated path is kept to fall back to');
      assert.equal(conn.stats.migrations, 1);
      assert.deepEqual(conn.events, [['pathChange', MOVED, old.local]]);
    });

    it('not on a probing-only packet, nor a reordered one (RFC 9000 §9.2, §9.3)', () => {
      const conn = fakeConnection(false);
      const old = conn.paths.active;
      receiveFrom(conn, MOVED, 5);
      onPathPacket(ctx(conn), false, 1000);
      assert.equal(conn.paths.active, old, 'probing frames only: no migration');
      receiveFrom(conn, PEER, 7);
      conn.rx.remote = MOVED;
      conn.rx.pn = 6;
      onPathPacket(ctx(conn), true, 1000);
      assert.equal(conn.paths.active, old, 'not the largest packet number: no migration');
      assert.equal(conn.stats.migrations, 0);
    });

    it('not before the handshake is confirmed (RFC 9000 §9), and never a client', () => {
      const early = fakeConnection(false, false);
      const old = early.paths.active;
      receiveFrom(early, MOVED, 1);
      onPathPacket(ctx(early), true, 1000);
      assert.equal(early.paths.active, old);

      const client = fakeConnection(true);
      const active = client.paths.active;
      receiveFrom(client, MOVED, 1);
      onPathPacket(ctx(client), true, 1000);
      assert.equal(client.paths.active, active);
    });
  });

  describe("a client's active migration (RFC 9000 §9.2)", () => {
    const NEW_LOCAL: SocketAddress = { address: '192.0.2.1', port: 5999 };

    it('probes the new path with a spare CID and moves once the PATH_RESPONSE arrives', () => {
      const conn = fakeConnection(true);
      spareCid(conn, 1);
      const old = conn.paths.active;
      assert.equal(startMigration(ctx(conn), NEW_LOCAL), true);
      assert.equal(conn.wakes, 1);
      const probe = conn.paths.probe;
      assert.ok(probe);
      assert.deepEqual(probe.local, NEW_LOCAL);
      assert.deepEqual(probe.remote, old.remote);
      assert.equal(probe.dcid.sequence, 1);
      assert.equal(probe.validation, 'validating');
      assert.equal(conn.paths.active, old, 'no move before the peer answers');
      onPathResponse(ctx(conn), Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), 10);
      assert.equal(conn.paths.active, old, 'a response to another challenge changes nothing');
      const challenge = probe.challenge;
      assert.ok(challenge);
      onPathResponse(ctx(conn), challenge, 20);
      assert.equal(conn.paths.active, probe);
      assert.equal(probe.validated, true);
      assert.equal(conn.stats.migrations, 1);
    });

    it('refused without a spare CID (§9.5), before confirmation, or when the server disabled it (§18.2)', () => {
      const noCid = fakeConnection(true);
      assert.equal(startMigration(ctx(noCid), NEW_LOCAL), false);

      const early = fakeConnection(true, false);
      spareCid(early, 1);
      assert.equal(startMigration(ctx(early), NEW_LOCAL), false);

      const disabled = fakeConnection(true);
      spareCid(disabled, 1);
      disabled.peerParams = defaultTransportParameters();
      disabled.peerParams.disableActiveMigration = true;
      assert.equal(startMigration(ctx(disabled), NEW_LOCAL), false);
      assert.equal(disabled.paths.probe, null);

      const server = fakeConnection(false);
      spareCid(server, 1);
      assert.equal(startMigration(ctx(server), NEW_LOCAL), false, 'servers do not migrate');
    });
  });

  describe('the preferred address (RFC 9000 §9.6, §18.2)', () => {
    const init = {
      ipv4: { address: '203.0.113.5', port: 4434 },
      cid: new Uint8Array(8).fill(0xb1),
      resetToken: new Uint8Array(16).fill(0xc1),
    };

    it('the parameter: an absent family is all zeros with port 0', () => {
      const p = preferredAddressParam(init);
      assert.deepEqual(p.ipv4Address, Uint8Array.of(203, 0, 113, 5));
      assert.equal(p.ipv4Port, 4434);
      assert.deepEqual(p.ipv6Address, new Uint8Array(16));
      assert.equal(p.ipv6Port, 0);
      assert.deepEqual(p.connectionId, init.cid);
    });

    it('an address not of its family is a TypeError', () => {
      assert.throws(
        () => preferredAddressParam({ ...init, ipv4: { address: '2001:db8::1', port: 443 } }),
        TypeError,
      );
      assert.throws(
        () => preferredAddressParam({ ...init, ipv6: { address: '2001:db8::1', port: 0 } }),
        TypeError,
      );
    });

    it('a client takes the CID of sequence 1 and probes the address of its family', () => {
      const conn = fakeConnection(true);
      conn.peerParams = defaultTransportParameters();
      conn.peerParams.preferredAddress = preferredAddressParam({
        ...init,
        ipv6: { address: '2001:db8:0:0:1:0:0:1', port: 4435 },
      });
      maybeUsePreferredAddress(ctx(conn), 100, 6);
      const probe = conn.paths.probe;
      assert.ok(probe);
      // RFC 5952 §4.2.3: the first of two equal runs of zeros is the one shortened.
      assert.deepEqual(probe.remote, { address: '2001:db8::1:0:0:1', port: 4435 });
      assert.equal(probe.dcid.sequence, 1);
      assert.deepEqual(probe.dcid.cid, init.cid);
      assert.equal(conn.paths.active.remote, LOCAL);
    });

    it('no family match, or no preferred address: nothing happens', () => {
      const conn = fakeConnection(true);
      conn.peerParams = defaultTransportParameters();
      conn.peerParams.preferredAddress = preferredAddressParam(init);
      maybeUsePreferredAddress(ctx(conn), 100, 6);
      assert.equal(conn.paths.probe, null);
      assert.equal(conn.peerCids.spare(), null, 'the CID is not taken either');
    });
  });
});
