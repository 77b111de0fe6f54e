/**
 * Multipath QUIC (RFC 10069, draft-ietf-quic-multipath-21) over the in-memory network: the
 * negotiation and its fallback to RFC 9000, a second path opened by the client carrying data
 * side by side with the first, a path abandoned and a path blackholed mid-transfer (the transfer
 * completes byte-exact on the other), the backup status, a key update while both paths carry
 * packets, and the errors the spec gives to bad frames.
 */
import assert from 'node:assert/strict';
import { Lia } from '../../src/cc/lia.js';
import type { Connection } from '../../src/conn/connection.js';
import type { PathCloseInfo } from '../../src/conn/events.js';
import { TransportError } from '../../src/wire/errors.js';
import { addressKey, type SocketAddress } from '../../src/util/address.js';
import {
  type EnginePair,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
} from '../../src/testing/index.js';
import type { SansIoEndpoint } from '../../src/testing/network.js';
import { type Sink, transfer } from './transfer-kit.js';

/** The client's second interface. */
const SECOND: SocketAddress = { address: '10.0.0.3', port: 50001 };

type PairOptions = Parameters<typeof createEnginePair>[0] & object;

/** Drops datagrams to or from an address while `on` (a path blackholed at the client side). */
class AddressBlackhole {
  on = false;
  dropped = 0;
  constructor(readonly address: SocketAddress) {}
  wrap(e: SansIoEndpoint): SansIoEndpoint {
    const key = addressKey(this.address);
    return {
      handleDatagram: (d, local, remote, now, ecn) => {
        if (this.on && addressKey(local) === key) {
          this.dropped++;
          return;
        }
        e.handleDatagram(d, local, remote, now, ecn);
      },
      pollTransmit: (now) => {
        for (;;) {
          const t = e.pollTransmit(now);
          if (t === null || !this.on || t.local === undefined || addressKey(t.local) !== key) {
            return t;
          }
          this.dropped++;
        }
      },
      nextTimeout: () => e.nextTimeout(),
      handleTimeout: (now) => e.handleTimeout(now),
    };
  }
}

function pairFor(o: PairOptions = {}, clientMp = true, serverMp = true): EnginePair {
  return createEnginePair({
    ...o,
    conditions: o.conditions ?? { delay: 10_000, rate: 10_000_000, queueBytes: 100_000 },
    client: { ...(clientMp ? { multipath: true } : {}), ...o.client },
    serverEngine: {
      ...o.serverEngine,
      connection: { ...(serverMp ? { multipath: true } : {}), ...o.serverEngine?.connection },
    },
  });
}

function establish(p: EnginePair): Connection {
  assert.ok(p.handshake(), 'handshake');
  const sc = p.serverConn();
  assert.ok(sc);
  return sc;
}

/** Opens a second path from SECOND and runs until both sides validated it. */
function openSecond(p: EnginePair, sc: Connection): number {
  const validated: number[] = [];
  p.conn.on('pathValidated', (id) => validated.push(id));
  const serverValidated: number[] = [];
  sc.on('pathValidated', (id) => serverValidated.push(id));
  // The server's PATH_NEW_CONNECTION_IDs come after confirmation: wait for them.
  let id = -1;
  assert.ok(
    p.runUntil(() => (id = p.conn.openPath(SECOND)) >= 0, 2_000_000),
    'a path ID with CIDs on both sides',
  );
  assert.ok(
    p.runUntil(() => validated.includes(id) && serverValidated.includes(id), 2_000_000),
    'both sides validated the new path',
  );
  return id;
}

/** The PTO period of path `id` of `c`, µs. */
function pathStatsPto(c: Connection, id: number): number {
  const p = c.multipath?.get(id);
  assert.ok(p);
  return p.paths.active.sendControl.rtt.ptoPeriod(true);
}

function pathStats(c: Connection, id: number) {
  const s = c.getStats().paths.find((x) => x.pathId === id);
  assert.ok(s, `path ${id} in the stats`);
  return s;
}

/**
 * Turns `hole` on once `progress()` (bytes delivered) passed 1 MB, and measures the longest gap
 * in that progress from then on: the network's step is wrapped to look after every event.
 */
function watchStall(
  p: EnginePair,
  hole: AddressBlackhole,
  progress: () => number,
): { longestStall: number; holeAt: number } {
  const w = { longestStall: 0, holeAt: -1 };
  let lastProgress = 0;
  let lastBytes = 0;
  const step = p.net.step.bind(p.net);
  p.net.step = (limit?: number) => {
    const got = progress();
    if (w.holeAt < 0 && got > 1_000_000) {
      hole.on = true;
      w.holeAt = p.now;
      lastProgress = p.now;
    }
    if (got !== lastBytes) {
      if (w.holeAt >= 0) w.longestStall = Math.max(w.longestStall, p.now - lastProgress);
      lastBytes = got;
      lastProgress = p.now;
    }
    return step(limit);
  };
  return w;
}

/**
 * A 3 MB download on two paths whose server schedules with `scheduler`; the path from `address`
 * is blackholed at the client once 1 MB of the download was delivered. The longest gap in the
 * in-order delivery of the download to the application after that.
 */
function blackholedDownload(address: SocketAddress, scheduler: string) {
  const hole = new AddressBlackhole(address);
  const p = pairFor({
    endpoint: (e, role) => (role === 'client' ? hole.wrap(e) : e),
    serverEngine: { connection: { multipath: { scheduler } } },
  });
  const sc = establish(p);
  const id = openSecond(p, sc);
  let down: Sink | null = null;
  const w = watchStall(p, hole, () => down?.received ?? 0);
  const r = transfer(p, 100_000, 3_000_000, undefined, (s) => (down = s.down));
  assert.ok(w.holeAt >= 0, 'the path went dark mid-transfer');
  assert.ok(r.done, `incomplete: down ${r.down.received}, mismatch at ${r.down.mismatch}`);
  assert.ok(hole.dropped > 0);
  return { longestStall: w.longestStall, stats: sc.getStats(), id };
}

describe('scenario: Multipath QUIC (RFC 10069)', function () {
  this.timeout(60_000);

  it('negotiated when both sides send initial_max_path_id', () => {
    const p = pairFor();
    const sc = establish(p);
    assert.equal(p.conn.multipath?.enabled, true);
    assert.equal(sc.multipath?.enabled, true);
  });

  for (const [name, c, s] of [
    ['the server', true, false],
    ['the client', false, true],
  ] as const) {
    it(`falls back to RFC 9000 when ${name} does not offer it`, () => {
      const p = pairFor({}, c, s);
      const sc = establish(p);
      assert.notEqual(p.conn.multipath?.enabled, true);
      assert.notEqual(sc.multipath?.enabled, true);
      if (c) assert.equal(p.conn.openPath(SECOND), -1, 'no second path');
      const r = transfer(p, 50_000, 300_000);
      assert.ok(r.done, 'single-path transfer completes');
      assert.equal(p.conn.getStats().paths.length, 1);
    });
  }

  it('a second path carries data beside the first; the transfer is byte-exact', () => {
    const p = pairFor();
    const sc = establish(p);
    const opened: number[] = [];
    sc.on('pathOpened', (id) => opened.push(id));
    const id = openSecond(p, sc);
    assert.equal(id, 1);
    assert.deepEqual(opened, [1], 'the server saw the path open');
    const r = transfer(p, 200_000, 3_000_000);
    assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
    const s0 = pathStats(sc, 0);
    const s1 = pathStats(sc, 1);
    assert.deepEqual(s1.remote, SECOND);
    assert.ok(s0.bytesSent > 500_000, `path 0 carried ${s0.bytesSent} bytes down`);
    assert.ok(s1.bytesSent > 500_000, `path 1 carried ${s1.bytesSent} bytes down`);
    const c1 = pathStats(p.conn, 1);
    assert.ok(c1.bytesSent > 50_000, `path 1 carried ${c1.bytesSent} bytes up`);
  });

  for (const scheduler of ['roundrobin', 'backup', 'reinject']) {
    it(`scheduler ${scheduler}: a transfer over two paths completes byte-exact`, () => {
      const p = pairFor({
        client: { multipath: { scheduler } },
        serverEngine: { connection: { multipath: { scheduler } } },
      });
      const sc = establish(p);
      openSecond(p, sc);
      const r = transfer(p, 100_000, 1_000_000);
      assert.ok(r.done, `incomplete: down ${r.down.received}`);
      const s1 = pathStats(sc, 1).bytesSent;
      // Primary-backup keeps data on path 0 while it works; the others spread it.
      if (scheduler === 'backup') assert.ok(pathStats(sc, 0).bytesSent > 1_000_000);
      else assert.ok(s1 > 100_000, `path 1 carried ${s1} bytes`);
    });
  }

  it('an unknown scheduler name is refused when the connection is made', () => {
    assert.throws(
      () => pairFor({ client: { multipath: { scheduler: 'nope' } } }),
      /unknown path scheduler 'nope'/,
    );
  });

  it("LIA: the paths' controllers share the connection's coupling group (RFC 6356)", () => {
    const p = pairFor({ serverEngine: { connection: { congestionControl: 'lia' } } });
    const sc = establish(p);
    const id = openSecond(p, sc);
    const lia = (pathId: number): Lia => {
      const cc = sc.multipath?.get(pathId)?.paths.active.sendControl.cc;
      assert.ok(cc instanceof Lia, `path ${pathId} runs LIA`);
      return cc;
    };
    const [zero, second] = [lia(0), lia(id)];
    assert.equal(zero.group, second.group, 'one group for the connection');
    assert.equal(zero.group.size, 2);
    let closed = false;
    let sentOnSecond = 0;
    const step = p.net.step.bind(p.net);
    p.net.step = (limit?: number) => {
      if (!closed && p.conn.getStats().bytesReceived > 1_000_000) {
        sentOnSecond = pathStats(sc, id).bytesSent;
        closed = p.conn.closePath(id);
      }
      return step(limit);
    };
    const r = transfer(p, 100_000, 3_000_000);
    assert.ok(closed && r.done, `incomplete: down ${r.down.received}`);
    // The abandoned path's controller left: path 0 is weighed alone again.
    assert.equal(zero.group.size, 1);
    assert.equal(zero.increaseWeight(), 1);
    assert.ok(sentOnSecond > 100_000, `the second path carried ${sentOnSecond} bytes`);
  });

  it('a path abandoned mid-transfer: PATH_ABANDON both ways, the transfer completes', () => {
    const p = pairFor();
    const sc = establish(p);
    const id = openSecond(p, sc);
    const clientClosed: PathCloseInfo[] = [];
    const serverClosed: PathCloseInfo[] = [];
    p.conn.on('pathClosed', (_id, info) => clientClosed.push(info));
    sc.on('pathClosed', (_id, info) => serverClosed.push(info));
    let abandoned = false;
    const step = p.net.step.bind(p.net);
    p.net.step = (limit?: number) => {
      if (!abandoned && p.conn.getStats().bytesReceived > 1_000_000) {
        abandoned = p.conn.closePath(id);
      }
      return step(limit);
    };
    const r = transfer(p, 100_000, 3_000_000);
    assert.ok(abandoned, 'closePath happened');
    assert.ok(r.done, `incomplete: down ${r.down.received}`);
    assert.equal(clientClosed[0]?.source, 'local');
    assert.equal(serverClosed[0]?.source, 'peer');
    assert.equal(serverClosed[0]?.errorCode, 0x3e, 'APPLICATION_ABANDON_PATH');
    assert.equal(pathStats(sc, 0).status, 'available');
    assert.equal(p.conn.state, 'established');
  });

  it('path 0 abandoned mid-transfer: the transfer completes on path 1 alone', () => {
    const p = pairFor();
    const sc = establish(p);
    const id = openSecond(p, sc);
    let abandoned = false;
    let sentOn0 = -1;
    const step = p.net.step.bind(p.net);
    p.net.step = (limit?: number) => {
      if (!abandoned && p.conn.getStats().bytesReceived > 1_000_000) {
        abandoned = p.conn.closePath(0);
      }
      if (abandoned && sentOn0 < 0 && pathStats(sc, 0).status === 'abandoned') {
        sentOn0 = pathStats(sc, 0).bytesSent;
      }
      return step(limit);
    };
    const r = transfer(p, 100_000, 3_000_000);
    assert.ok(abandoned && sentOn0 >= 0, 'path 0 abandoned on both sides');
    assert.ok(r.done, `incomplete: down ${r.down.received}`);
    // Its state is forgotten 3 PTO after PATH_ABANDON (§3.4): gone from the stats then.
    const last = sc.getStats().paths.find((x) => x.pathId === 0);
    assert.ok(last === undefined || last.bytesSent === sentOn0, 'nothing more sent on path 0');
    assert.equal(sc.multipath?.get(0), undefined, 'path 0 forgotten');
    assert.ok(pathStats(sc, id).bytesSent > 1_000_000);
    assert.equal(p.conn.state, 'established');
  });

  it('a path blackholed mid-transfer: byte-exact on the other, no stall beyond 3 PTO', () => {
    const hole = new AddressBlackhole(SECOND);
    const p = pairFor({
      endpoint: (e, role) => (role === 'client' ? hole.wrap(e) : e),
    });
    const sc = establish(p);
    openSecond(p, sc);
    const w = watchStall(p, hole, () => p.conn.getStats().bytesReceived);
    const r = transfer(p, 100_000, 3_000_000);
    assert.ok(w.holeAt >= 0, 'the path went dark mid-transfer');
    assert.ok(r.done, `incomplete: down ${r.down.received}`);
    assert.ok(hole.dropped > 0);
    // RFC 10069 §5.6: the surviving path's PTO bounds the stall (srtt 20 ms on this link).
    const pto = sc.path.sendControl.rtt.ptoPeriod(true);
    assert.ok(w.longestStall <= 3 * pto, `stalled ${w.longestStall} µs, 3 PTO = ${3 * pto} µs`);
  });

  it('path 0 blackholed mid-transfer: byte-exact on path 1, no stall beyond 3 PTO', () => {
    const hole = new AddressBlackhole(PAIR_CLIENT_ADDRESS);
    const p = pairFor({
      endpoint: (e, role) => (role === 'client' ? hole.wrap(e) : e),
    });
    const sc = establish(p);
    const id = openSecond(p, sc);
    const w = watchStall(p, hole, () => p.conn.getStats().bytesReceived);
    const r = transfer(p, 100_000, 3_000_000);
    assert.ok(w.holeAt >= 0, 'path 0 went dark mid-transfer');
    assert.ok(r.done, `incomplete: down ${r.down.received}`);
    const pto = pathStatsPto(sc, id);
    assert.ok(w.longestStall <= 3 * pto, `stalled ${w.longestStall} µs, 3 PTO = ${3 * pto} µs`);
  });

  for (const [which, address] of [
    ['the second path', SECOND],
    ['path 0', PAIR_CLIENT_ADDRESS],
  ] as const) {
    it(`re-injection: ${which} blackholed, 'reinject' recovers sooner than 'minrtt'`, () => {
      const plain = blackholedDownload(address, 'minrtt');
      const reinject = blackholedDownload(address, 'reinject');
      assert.equal(plain.stats.reinjectedPackets, 0);
      for (const path of plain.stats.paths) assert.equal(path.reinjectedPackets, 0);
      assert.ok(reinject.stats.reinjectedPackets > 0, 'packets re-injected');
      const failed = address === SECOND ? reinject.id : 0;
      const perPath = reinject.stats.paths.find((x) => x.pathId === failed);
      assert.equal(perPath?.reinjectedPackets, reinject.stats.reinjectedPackets);
      assert.ok(
        reinject.longestStall < plain.longestStall,
        `longest gap: reinject ${reinject.longestStall} µs, minrtt ${plain.longestStall} µs`,
      );
    });
  }

  it('backup status is honoured: the server sends no data on a path the client marked backup', () => {
    const p = pairFor();
    const sc = establish(p);
    const id = openSecond(p, sc);
    assert.ok(p.conn.setPathStatus(id, 'backup'));
    p.runFor(200_000);
    assert.equal(pathStats(sc, id).status, 'backup');
    const before = pathStats(sc, id).bytesSent;
    const r = transfer(p, 10_000, 1_000_000);
    assert.ok(r.done);
    const after = pathStats(sc, id).bytesSent;
    // ACK-only packets may still use it; data does not.
    assert.ok(after - before < 20_000, `${after - before} bytes on the backup path`);
    assert.ok(pathStats(sc, 0).bytesSent > 1_000_000);
  });

  it('a key update while both paths carry packets: one key phase for all (§2.5)', () => {
    const p = pairFor();
    const sc = establish(p);
    openSecond(p, sc);
    let updated = false;
    const step = p.net.step.bind(p.net);
    p.net.step = (limit?: number) => {
      if (!updated && p.conn.getStats().bytesReceived > 500_000) {
        p.conn.updateKeys();
        updated = true;
      }
      return step(limit);
    };
    const r = transfer(p, 200_000, 2_000_000);
    assert.ok(r.done, `incomplete: down ${r.down.received}`);
    assert.ok(p.conn.getStats().keyUpdates >= 1 && sc.getStats().keyUpdates >= 1);
    assert.ok(pathStats(sc, 1).bytesSent > 100_000, 'path 1 kept carrying data');
  });

  it('bad frames get the spec errors (PROTOCOL_VIOLATION)', () => {
    const p = pairFor();
    const sc = establish(p);
    const closeCode = (pair: EnginePair): number => {
      assert.ok(
        pair.runUntil(() => pair.conn.closeInfo !== null, 2_000_000),
        'the peer closed',
      );
      return pair.conn.closeInfo!.errorCode;
    };
    // §4: a path ID above our maximum (4 by default).
    sc.controlFrames.queue({ kind: 'path_abandon', pathId: 9, errorCode: 0 });
    sc.wake();
    assert.equal(closeCode(p), TransportError.PROTOCOL_VIOLATION);
    assert.equal(p.conn.closeInfo!.source, 'local');

    const q = pairFor();
    const sq = establish(q);
    // §4.6: MAX_PATH_ID below initial_max_path_id.
    sq.controlFrames.queue({ kind: 'max_path_id', maximum: 1 });
    sq.wake();
    assert.equal(closeCode(q), TransportError.PROTOCOL_VIOLATION);
  });

  it('multipath frames without negotiation are a PROTOCOL_VIOLATION (§2)', () => {
    const p = pairFor({}, false, true);
    const sc = establish(p);
    sc.controlFrames.queue({ kind: 'paths_blocked', maximum: 0 });
    sc.wake();
    assert.ok(p.runUntil(() => p.conn.closeInfo !== null, 2_000_000));
    assert.equal(p.conn.closeInfo!.errorCode, TransportError.PROTOCOL_VIOLATION);
  });

  it('the first path ID goes to the server address of path 0 by default', () => {
    const p = pairFor();
    const sc = establish(p);
    openSecond(p, sc);
    assert.deepEqual(pathStats(p.conn, 1).remote, PAIR_SERVER_ADDRESS);
  });

  it('PATH_CIDS_BLOCKED for path 0 is checked against the CIDs issued on it (§4.7)', () => {
    const p = pairFor();
    const sc = establish(p);
    const next = p.conn.localCids.nextSequenceNumber;
    // The sequence number of our next CID: accepted (the peer is short of CIDs, nothing wrong).
    sc.controlFrames.queue({ kind: 'path_cids_blocked', pathId: 0, nextSequenceNumber: next });
    sc.wake();
    p.runUntil(() => false, 200_000);
    assert.equal(p.conn.closeInfo, null);
    // One beyond it: a CID we never issued on path 0.
    sc.controlFrames.queue({ kind: 'path_cids_blocked', pathId: 0, nextSequenceNumber: next + 1 });
    sc.wake();
    assert.ok(
      p.runUntil(() => p.conn.closeInfo !== null, 2_000_000),
      'the client closed',
    );
    assert.equal(p.conn.closeInfo!.errorCode, TransportError.PROTOCOL_VIOLATION);
    assert.equal(p.conn.closeInfo!.source, 'local');
  });

  it('path 0 abandoned while blackholed: nothing more on it, its timers stop, close on path 1', () => {
    const hole = new AddressBlackhole(PAIR_CLIENT_ADDRESS);
    // Datagrams each side hands to path 0's addresses after it abandoned the path.
    let clientAbandoned = false;
    let serverAbandoned = false;
    let clientOn0 = 0;
    let serverOn0 = 0;
    const zeroKey = addressKey(PAIR_CLIENT_ADDRESS);
    const p = pairFor({
      endpoint: (e, role) => {
        const inner = role === 'client' ? hole.wrap(e) : e;
        return {
          handleDatagram: (d, local, remote, now, ecn) =>
            inner.handleDatagram(d, local, remote, now, ecn),
          pollTransmit: (now) => {
            for (;;) {
              const t = e.pollTransmit(now);
              if (t === null) return null;
              const client = role === 'client';
              const onZero = client
                ? t.local !== undefined && addressKey(t.local) === zeroKey
                : addressKey(t.remote) === zeroKey;
              if (onZero && client && clientAbandoned) clientOn0++;
              if (onZero && !client && serverAbandoned) serverOn0++;
              // Path 0 blackholed at the client: what it sends there is lost.
              if (!(client && hole.on && onZero)) return t;
            }
          },
          nextTimeout: () => inner.nextTimeout(),
          handleTimeout: (now) => inner.handleTimeout(now),
        };
      },
    });
    const sc = establish(p);
    const id = openSecond(p, sc);
    sc.on('pathClosed', (x) => {
      if (x === 0) serverAbandoned = true;
    });
    const step = p.net.step.bind(p.net);
    p.net.step = (limit?: number) => {
      if (!hole.on && p.conn.getStats().bytesReceived > 1_000_000) {
        // Path 0 breaks with data in flight both ways; the client gives it up at once.
        hole.on = true;
        clientAbandoned = p.conn.closePath(0);
      }
      return step(limit);
    };
    const r = transfer(p, 300_000, 3_000_000);
    assert.ok(clientAbandoned && serverAbandoned, 'path 0 abandoned on both sides');
    assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
    const ptos = [p.conn.path.sendControl.ptoCount, sc.path.sendControl.ptoCount];
    // Idle for a while: a running PTO timer of path 0 would fire (and back off) many times.
    p.runUntil(() => false, 5_000_000);
    assert.deepEqual(
      [p.conn.path.sendControl.ptoCount, sc.path.sendControl.ptoCount],
      ptos,
      'no PTO on path 0 after it was abandoned',
    );
    assert.equal(clientOn0, 0, 'the client sent nothing on path 0 after abandoning it');
    assert.equal(serverOn0, 0, 'the server sent nothing on path 0 after abandoning it');
    assert.equal(p.conn.state, 'established');
    // The close goes on path 1, the only open one (RFC 10069 §2.6).
    p.conn.close(0x17, 'done');
    assert.ok(
      p.runUntil(() => sc.closeInfo !== null, 2_000_000),
      'the server got the close',
    );
    assert.equal(sc.closeInfo!.source, 'peer');
    assert.equal(sc.closeInfo!.errorCode, 0x17);
    assert.equal(clientOn0, 0, 'nor the CONNECTION_CLOSE');
    assert.ok(pathStats(sc, id).bytesReceived > 0);
  });

  describe('NAT rebinding on a path other than 0 (RFC 10069 §5.1, RFC 9000 §9.3)', () => {
    /** Where the NAT maps the client's second interface after the rebinding. */
    const REBOUND: SocketAddress = { address: SECOND.address, port: 50077 };

    /** Records the remote address of every datagram the server sends. */
    function serverDestinations(o: PairOptions = {}): { p: EnginePair; sent: string[] } {
      const sent: string[] = [];
      const p = pairFor({
        ...o,
        endpoint: (e, role) =>
          role === 'client'
            ? e
            : {
                handleDatagram: (d, local, remote, now, ecn) =>
                  e.handleDatagram(d, local, remote, now, ecn),
                pollTransmit: (now) => {
                  const t = e.pollTransmit(now);
                  if (t !== null) sent.push(addressKey(t.remote));
                  return t;
                },
                nextTimeout: () => e.nextTimeout(),
                handleTimeout: (now) => e.handleTimeout(now),
              },
      });
      return { p, sent };
    }

    it('a PATH_CHALLENGE from a new address of path 1 is answered there; the path stays', () => {
      const { p, sent } = serverDestinations();
      const sc = establish(p);
      const id = openSecond(p, sc);
      // Quiet: nothing owed on any path, so the client's next packet on path 1 is probing only.
      p.runUntil(() => false, 500_000);
      p.net.rebind('client', REBOUND, SECOND);
      const cp = p.conn.multipath!.get(id)!;
      const validated: number[] = [];
      p.conn.on('pathValidated', (x) => validated.push(x));
      cp.paths.active.startValidation(new Uint8Array(8).fill(7), 3_000_000);
      cp.paths.active.armValidationDeadline(p.now);
      p.conn.wake();
      const before = sent.length;
      assert.ok(
        p.runUntil(() => validated.includes(id), 2_000_000),
        'the PATH_RESPONSE reached the client through the NAT',
      );
      assert.ok(sent.slice(before).includes(addressKey(REBOUND)), 'sent to the new address');
      const sp = sc.multipath!.get(id)!;
      // Probing frames alone do not move the path (RFC 9000 §9.3).
      assert.deepEqual(sp.paths.active.remote, SECOND);
      assert.deepEqual(sp.paths.probe?.remote, REBOUND);
      assert.deepEqual(sc.multipath!.get(0)!.paths.active.remote, PAIR_CLIENT_ADDRESS);
    });

    it('path 1 follows a rebinding mid-transfer and validates it; path 0 is unaffected', () => {
      const p = pairFor();
      const sc = establish(p);
      const id = openSecond(p, sc);
      const validated: number[] = [];
      sc.on('pathValidated', (x) => validated.push(x));
      let rebound = false;
      let sentAtRebind = 0;
      const step = p.net.step.bind(p.net);
      p.net.step = (limit?: number) => {
        if (!rebound && p.conn.getStats().bytesReceived > 1_000_000) {
          rebound = true;
          sentAtRebind = pathStats(sc, id).bytesSent;
          p.net.rebind('client', REBOUND, SECOND);
        }
        return step(limit);
      };
      const r = transfer(p, 100_000, 3_000_000);
      assert.ok(rebound, 'rebound mid-transfer');
      assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
      const sp = sc.multipath!.get(id)!;
      assert.equal(sp.state, 'open');
      assert.deepEqual(sp.paths.active.remote, REBOUND, 'path 1 moved to the new address');
      assert.ok(sp.paths.active.validated, 'the new address validated');
      assert.ok(validated.includes(id), 'by a PATH_CHALLENGE of its own');
      assert.ok(
        pathStats(sc, id).bytesSent > sentAtRebind + 200_000,
        'path 1 carried data after the rebinding',
      );
      const s0 = sc.multipath!.get(0)!;
      assert.equal(s0.state, 'open');
      assert.deepEqual(s0.paths.active.remote, PAIR_CLIENT_ADDRESS, 'path 0 untouched');
      assert.ok(s0.paths.active.validated);
      assert.equal(p.conn.state, 'established');
    });
  });
});
