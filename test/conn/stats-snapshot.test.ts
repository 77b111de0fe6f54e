import assert from 'node:assert/strict';
import { Ecn, PnSpace } from '../../src/ack/pn-space.js';
import { PathState } from '../../src/conn/path-state.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { SpaceState } from '../../src/conn/space.js';
import { ConnectionStats } from '../../src/conn/stats.js';
import { statsSnapshot, type StatsSource } from '../../src/conn/stats-snapshot.js';
import { SendControl } from '../../src/path/send-control.js';

const A = { address: '10.0.0.1', port: 1000 };
const B = { address: '10.0.0.2', port: 2000 };

function path(local = A): PathState {
  const sc = new SendControl<SentFrame>({ isServer: false, initialRtt: 100_000 });
  return new PathState(local, B, sc, true, { cid: new Uint8Array(8), seq: 0 } as never);
}

function source(over: Partial<Record<keyof StatsSource, unknown>> = {}): StatsSource {
  const stats = new ConnectionStats();
  stats.bytesSent = 10_000;
  stats.bytesReceived = 4_000;
  stats.packetsSent = 12;
  stats.migrations = 1;
  return {
    version: 1,
    tls: { alpn: 'h3', cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', resumed: false },
    stats,
    earlyDataState: 'none',
    isClient: true,
    handshakeTime: 12_345.6,
    path: path(),
    peerParams: null,
    keys: { keyUpdates: 2 },
    streams: { size: 3 },
    spaces: [
      new SpaceState(PnSpace.Initial, 25_000),
      new SpaceState(PnSpace.Handshake, 25_000),
      new SpaceState(PnSpace.Application, 25_000),
    ],
    multipath: null,
    ...over,
  } as unknown as StatsSource;
}

describe('conn/stats-snapshot: what getStats() reports', () => {
  it('copies the counters and TLS facts, converts times to ms', () => {
    const s = statsSnapshot(source());
    assert.equal(s.alpn, 'h3');
    assert.equal(s.cipher, 'TLS_AES_128_GCM_SHA256');
    assert.equal(s.bytesSent, 10_000);
    assert.equal(s.packetsSent, 12);
    assert.equal(s.handshakeMs, 12.346, 'µs to ms, to the µs');
    assert.equal(s.srttMs, 100, 'the initial RTT before any sample');
    assert.equal(s.minRttMs, 0, 'no sample: 0, not Infinity');
    assert.equal(s.keyUpdates, 2);
    assert.equal(s.streamsOpen, 3);
    assert.equal(s.migrated, true);
    assert.equal(s.pmtu, 1200, 'no peer max_udp_payload_size yet: the minimum');
    assert.equal(statsSnapshot(source({ handshakeTime: -1 })).handshakeMs, -1);
  });

  it('counts a client 0-RTT as accepted only once stream data went in it (RFC 9001 §4.6.2)', () => {
    const accepted = source({ earlyDataState: 'accepted' });
    assert.equal(statsSnapshot(accepted).earlyDataAccepted, false);
    (accepted.stats as ConnectionStats).earlyStreamDataSent = true;
    assert.equal(statsSnapshot(accepted).earlyDataAccepted, true);
    const server = source({ earlyDataState: 'accepted', isClient: false });
    assert.equal(statsSnapshot(server).earlyDataAccepted, true);
  });

  it('sums the ECN marks received in every space', () => {
    const src = source();
    src.spaces[PnSpace.Initial].tracker.onPacketReceived(0, true, 0, Ecn.Ect0);
    src.spaces[PnSpace.Application].tracker.onPacketReceived(0, true, 0, Ecn.Ect0);
    src.spaces[PnSpace.Application].tracker.onPacketReceived(1, true, 0, Ecn.Ce);
    const e = statsSnapshot(src).ecn;
    assert.equal(e.receivedEct0, 2);
    assert.equal(e.receivedEct1, 0);
    assert.equal(e.receivedCe, 1);
  });

  it('without multipath, reports path 0 with the connection totals', () => {
    const paths = statsSnapshot(source()).paths;
    assert.equal(paths.length, 1);
    assert.deepEqual(
      [paths[0]!.pathId, paths[0]!.status, paths[0]!.bytesSent, paths[0]!.bytesReceived],
      [0, 'available', 10_000, 4_000],
    );
  });

  it('with multipath, path 0 gets what no other path carried (RFC 10069)', () => {
    const other = { address: '10.0.0.3', port: 3000 };
    const all = [
      {
        id: 0,
        state: 'open',
        backup: false,
        bytesSent: 0,
        bytesReceived: 0,
        paths: { active: path() },
      },
      {
        id: 1,
        state: 'open',
        backup: true,
        bytesSent: 3_000,
        bytesReceived: 1_000,
        paths: { active: path(other) },
      },
      {
        id: 2,
        state: 'abandoned',
        backup: false,
        bytesSent: 500,
        bytesReceived: 0,
        paths: { active: path(other) },
      },
    ];
    const mp = { enabled: true, all: () => all };
    const paths = statsSnapshot(source({ multipath: mp })).paths;
    assert.deepEqual(
      paths.map((p) => [p.pathId, p.status, p.bytesSent, p.bytesReceived]),
      [
        [0, 'available', 6_500, 3_000],
        [1, 'backup', 3_000, 1_000],
        [2, 'abandoned', 500, 0],
      ],
    );
    assert.deepEqual(paths[1]!.local, other);
  });
});
