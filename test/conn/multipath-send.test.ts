/**
 * Sending with Multipath QUIC (src/conn/multipath-send.ts, RFC 10069 §5.5) over two simulated
 * links: packets built for an ACK carry no data and take no window, path 0 sends no data the
 * scheduler keeps for a faster path, a path left aside gets its RTT refreshed by PINGs, and the
 * flow-control windows are tuned on the slowest path's RTT.
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import { flowControlRtt } from '../../src/conn/multipath-send.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { createEnginePair, type EnginePair } from '../../src/testing/index.js';
import type { LinkConditions } from '../../src/testing/network.js';
import type { SocketAddress } from '../../src/util/address.js';
import { transfer } from '../scenario/transfer-kit.js';

const SERVER: SocketAddress = { address: '10.0.0.1', port: 443 };
/** The client's first address (path 0, link a) and second one (path 1, link b). */
const FIRST: SocketAddress = { address: '10.0.0.2', port: 50_000 };
const SECOND: SocketAddress = { address: '10.0.1.2', port: 50_000 };

const FAST: LinkConditions = { delay: 5_000, rate: 100e6, queueBytes: 250_000 };
const SLOW: LinkConditions = { delay: 50_000, rate: 10e6, queueBytes: 150_000 };
const EVEN: LinkConditions = { delay: 10_000, rate: 10e6, queueBytes: 100_000 };

function pairOver(
  a: LinkConditions,
  b: LinkConditions,
  serverScheduler = 'minrtt',
  clientScheduler = 'minrtt',
): EnginePair {
  return createEnginePair({
    links: [
      { name: 'a', between: [[FIRST.address, SERVER.address]], conditions: a },
      { name: 'b', between: [[SECOND.address, SERVER.address]], conditions: b },
    ],
    serverAddress: SERVER,
    clientAddress: FIRST,
    client: { multipath: { scheduler: clientScheduler } },
    serverEngine: { connection: { multipath: { scheduler: serverScheduler } } },
  });
}

/** Handshake, then path 1 from SECOND, validated by both sides. Returns the server's side. */
function establishTwoPaths(p: EnginePair): Connection {
  assert.ok(p.handshake(), 'handshake');
  const sc = p.serverConn();
  assert.ok(sc);
  const validated = new Set<string>();
  p.conn.on('pathValidated', (id) => validated.add(`c${id}`));
  sc.on('pathValidated', (id) => validated.add(`s${id}`));
  let id = -1;
  assert.ok(
    p.runUntil(() => (id = p.conn.openPath(SECOND)) >= 0, 2_000_000),
    'a path ID',
  );
  assert.equal(id, 1);
  assert.ok(
    p.runUntil(() => validated.has('c1') && validated.has('s1'), 2_000_000),
    'validated',
  );
  return sc;
}

interface LoggedPacket {
  inFlight: boolean;
  eliciting: boolean;
  streamBytes: number;
  kinds: string[];
  time: number;
}

/** Every packet `c` sends on path `id` from now on. */
function logPackets(c: Connection, id: number): LoggedPacket[] {
  const log: LoggedPacket[] = [];
  const path = c.multipath!.get(id)!.paths.active;
  const record = path.recordSent.bind(path);
  path.recordSent = (space, pn, now, size, eliciting, inFlight, frames: SentFrame[], probe) => {
    let streamBytes = 0;
    for (const f of frames) if (f.k === 'stream') streamBytes += f.length;
    log.push({ inFlight, eliciting, streamBytes, kinds: frames.map((f) => f.k), time: now });
    record(space, pn, now, size, eliciting, inFlight, frames, probe);
  };
  return log;
}

describe('conn/multipath-send (RFC 10069 §5.5)', function () {
  this.timeout(60_000);

  it('a packet built for its PATH_ACK carries no data and takes no window', () => {
    // The server keeps its data on path 0 ('backup'); the client sends on both, so the server
    // owes PATH_ACKs on path 1. Before the fix, each such packet filled up with stream data.
    const p = pairOver(EVEN, EVEN, 'backup', 'roundrobin');
    const sc = establishTwoPaths(p);
    const onPath1 = logPackets(sc, 1);
    const r = transfer(p, 400_000, 400_000, 20_000_000);
    assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
    const acks = onPath1.filter((x) => x.kinds.includes('ack'));
    assert.ok(acks.length > 20, `${acks.length} PATH_ACK packets on path 1`);
    assert.equal(
      onPath1.reduce((n, x) => n + x.streamBytes, 0),
      0,
      'no stream data on the path the scheduler left aside',
    );
    for (const x of onPath1) {
      // In flight only as the RTT probe (a PING: 'none'; a PATH_ACK due may ride with it).
      if (!x.inFlight) continue;
      assert.ok(
        x.kinds.includes('none') && x.kinds.every((k) => k === 'none' || k === 'ack'),
        `in flight: ${x.kinds.join(',')}`,
      );
    }
  });

  it('path 0 sends no data the scheduler keeps for a faster path, and its RTT stays fresh', () => {
    // Path 0 is the slow link: once path 1 (ten times faster) works, min-RTT waits for it.
    const p = pairOver(SLOW, FAST);
    const sc = establishTwoPaths(p);
    const onPath0 = logPackets(sc, 0);
    const start = p.now;
    const r = transfer(p, 1_000, 8_000_000, 20_000_000);
    assert.ok(r.done, `incomplete: down ${r.down.received}`);
    const duration = p.now - start;
    const slowBytes = onPath0.reduce((n, x) => n + x.streamBytes, 0);
    // Without the hold, path 0's own assembly sent whatever its window allowed (about a third).
    assert.ok(slowBytes < 80_000, `${slowBytes} stream bytes on the slow path 0`);
    // RTT probes: a PING (with IMMEDIATE_ACK) about every 200 ms keeps its estimate current.
    const pings = onPath0.filter((x) => x.eliciting && x.streamBytes === 0).length;
    assert.ok(pings >= Math.floor(duration / 200_000) - 1, `${pings} probes in ${duration} µs`);
    const srtt = sc.multipath!.get(0)!.paths.active.sendControl.rtt.smoothed;
    assert.ok(srtt > 95_000 && srtt < 115_000, `path 0 smoothed RTT ${srtt} µs`);
  });

  it('flow-control windows are tuned on the slowest usable path’s RTT', () => {
    const p = pairOver(FAST, SLOW);
    const sc = establishTwoPaths(p);
    for (const c of [p.conn, sc]) {
      const rtt0 = c.multipath!.get(0)!.paths.active.sendControl.rtt.smoothed;
      const rtt1 = c.multipath!.get(1)!.paths.active.sendControl.rtt.smoothed;
      assert.ok(rtt1 > 2 * rtt0, `path RTTs ${rtt0} and ${rtt1} µs`);
      const ctx = c as unknown as ConnectionContext;
      assert.equal(flowControlRtt(ctx, c.path), rtt1);
    }
    // Without multipath: the path's own.
    const single = createEnginePair({});
    assert.ok(single.handshake());
    const c = single.conn as unknown as ConnectionContext;
    assert.equal(flowControlRtt(c, single.conn.path), single.conn.path.sendControl.rtt.smoothed);
  });
});
