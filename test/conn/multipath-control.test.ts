/**
 * The connection side of Multipath QUIC (src/conn/multipath-control.ts, RFC 10069): a client and
 * a server in memory, two paths open, and the component's functions called on the client.
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import {
  largestPto,
  multipathDeadline,
  onMultipathFrame,
  onPathChallengeOn,
} from '../../src/conn/multipath-control.js';
import type { PathCloseInfo } from '../../src/conn/events.js';
import { createEnginePair, type EnginePair } from '../../src/testing/index.js';
import type { SocketAddress } from '../../src/util/address.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import { FrameType } from '../../src/wire/frame-types.js';

const SERVER: SocketAddress = { address: '10.0.0.1', port: 443 };
const FIRST: SocketAddress = { address: '10.0.0.2', port: 50_000 };
const SECOND: SocketAddress = { address: '10.0.1.2', port: 50_000 };
/** A third address of the client, on link c, which is down whenever a test fails it. */
const THIRD: SocketAddress = { address: '10.0.2.2', port: 50_000 };

function pair(multipath: boolean): EnginePair {
  return createEnginePair({
    links: [
      { name: 'a', between: [[FIRST.address, SERVER.address]], conditions: { delay: 10_000 } },
      { name: 'b', between: [[SECOND.address, SERVER.address]], conditions: { delay: 10_000 } },
      { name: 'c', between: [[THIRD.address, SERVER.address]], conditions: { delay: 10_000 } },
    ],
    serverAddress: SERVER,
    clientAddress: FIRST,
    client: multipath ? { multipath: true } : {},
    serverEngine: { connection: multipath ? { multipath: true } : {} },
  });
}

/** Handshake and path 1 validated on both sides. */
function twoPaths(): { p: EnginePair; conn: Connection; ctx: ConnectionContext } {
  const p = pair(true);
  assert.ok(p.handshake(), 'handshake');
  const sc = p.serverConn()!;
  const validated = new Set<string>();
  p.conn.on('pathValidated', (id) => validated.add(`c${id}`));
  sc.on('pathValidated', (id) => validated.add(`s${id}`));
  assert.ok(
    p.runUntil(() => p.conn.openPath(SECOND) >= 0, 2_000_000),
    'a path ID',
  );
  assert.ok(
    p.runUntil(() => validated.has('c1') && validated.has('s1'), 2_000_000),
    'validated',
  );
  return { p, conn: p.conn, ctx: p.conn as unknown as ConnectionContext };
}

function violation(frameType: number): (e: unknown) => boolean {
  return (e) =>
    e instanceof QuicError &&
    e.code === TransportError.PROTOCOL_VIOLATION &&
    e.frameType === frameType;
}

describe('conn/multipath-control: multipath frames and paths on a connection (RFC 10069)', function () {
  this.timeout(60_000);

  it('a multipath frame without negotiated multipath is a PROTOCOL_VIOLATION (RFC 10069 §2)', () => {
    const p = pair(false);
    assert.ok(p.handshake(), 'handshake');
    const ctx = p.conn as unknown as ConnectionContext;
    assert.throws(
      () => onMultipathFrame(ctx, { kind: 'max_path_id', maximum: 3 }, p.now),
      violation(FrameType.MAX_PATH_ID),
    );
    assert.throws(
      () => onMultipathFrame(ctx, { kind: 'path_abandon', pathId: 0, errorCode: 0 }, p.now),
      violation(FrameType.PATH_ABANDON),
    );
    assert.equal(multipathDeadline(ctx), Infinity, 'no multipath timers');
    assert.equal(largestPto(ctx), ctx.ptoPeriod());
  });

  it('PATH_ABANDON for a path ID above our maximum is a PROTOCOL_VIOLATION (RFC 10069 §4)', () => {
    const { p, ctx } = twoPaths();
    assert.throws(
      () => onMultipathFrame(ctx, { kind: 'path_abandon', pathId: 1000, errorCode: 0 }, p.now),
      violation(FrameType.PATH_ABANDON),
    );
  });

  it('PATH_ABANDON from the peer closes that path only, answered once (RFC 10069 §3.4)', () => {
    const { p, conn, ctx } = twoPaths();
    const closed: [number, PathCloseInfo][] = [];
    conn.on('pathClosed', (id, info) => closed.push([id, info]));
    const path1 = conn.multipath!.get(1)!;
    // The largest PTO while path 1 is open (its own may be the largest: fewer RTT samples).
    const pto = largestPto(ctx);
    onMultipathFrame(ctx, { kind: 'path_abandon', pathId: 1, errorCode: 7 }, p.now);
    assert.equal(path1.state, 'abandoned');
    assert.equal(path1.abandonSent, true, 'our PATH_ABANDON goes in return');
    assert.deepEqual(closed, [
      [1, { source: 'peer', errorCode: 7, reason: 'abandoned by the peer' }],
    ]);
    // A repeat changes nothing.
    onMultipathFrame(ctx, { kind: 'path_abandon', pathId: 1, errorCode: 7 }, p.now);
    assert.equal(closed.length, 1);
    assert.equal(conn.multipath!.get(0)!.state, 'open');
    assert.equal(conn.state, 'established', 'path 0 still carries the connection');
    // The abandoned path's state lingers three PTOs for late packets, then goes (§3.4.3).
    assert.ok(multipathDeadline(ctx) <= p.now + 3 * pto);
    // Our PATH_ABANDON reaches the server, which closes its side of path 1 with our code.
    const atServer: [number, PathCloseInfo][] = [];
    p.serverConn()!.on('pathClosed', (id, info) => atServer.push([id, info]));
    assert.ok(
      p.runUntil(() => atServer.length > 0, 2_000_000),
      'server saw PATH_ABANDON',
    );
    assert.equal(atServer[0]![0], 1);
    assert.equal(atServer[0]![1].source, 'peer');
    assert.equal(atServer[0]![1].errorCode, 7);
  });

  it('abandoning the last open path closes the connection with NO_ERROR (RFC 10069 §3.4)', () => {
    const { p, conn, ctx } = twoPaths();
    onMultipathFrame(ctx, { kind: 'path_abandon', pathId: 1, errorCode: 0 }, p.now);
    assert.equal(conn.state, 'established');
    onMultipathFrame(ctx, { kind: 'path_abandon', pathId: 0, errorCode: 0 }, p.now);
    assert.notEqual(conn.state, 'established');
    assert.equal(conn.closeInfo?.errorCode, TransportError.NO_ERROR);
    assert.equal(conn.closeInfo?.source, 'local');
  });

  it('PATH_STATUS: the newest sequence number sets backup or available (RFC 10069 §4.3)', () => {
    const { p, conn, ctx } = twoPaths();
    const path1 = conn.multipath!.get(1)!;
    assert.equal(path1.backup, false);
    onMultipathFrame(ctx, { kind: 'path_status_backup', pathId: 1, sequenceNumber: 5 }, p.now);
    assert.equal(path1.backup, true);
    // An older status arriving late is ignored.
    onMultipathFrame(ctx, { kind: 'path_status_available', pathId: 1, sequenceNumber: 4 }, p.now);
    assert.equal(path1.backup, true);
    onMultipathFrame(ctx, { kind: 'path_status_available', pathId: 1, sequenceNumber: 6 }, p.now);
    assert.equal(path1.backup, false);
  });

  it('PATH_CHALLENGE responses owed on a path are bounded (RFC 9000 §8.2.2 on a flood)', () => {
    const { p, conn, ctx } = twoPaths();
    const path1 = conn.multipath!.get(1)!;
    const active = path1.paths.active;
    active.responses.length = 0;
    ctx.rx.begin(active.local, active.remote, 100, 0);
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    for (let i = 0; i < 10; i++) onPathChallengeOn(ctx, path1, data, p.now);
    assert.equal(active.responses.length, 4);
    assert.deepEqual(active.responses[0], data);
    assert.notEqual(active.responses[0], data, 'a copy: the datagram buffer is reused');
  });

  it('a PATH_CHALLENGE from a new address is answered there, without moving (RFC 9000 §8.2.2)', () => {
    const { p, conn, ctx } = twoPaths();
    const path1 = conn.multipath!.get(1)!;
    const active = path1.paths.active;
    active.responses.length = 0;
    const rebound = { address: active.remote.address, port: active.remote.port + 1 };
    ctx.rx.begin(active.local, rebound, 100, 0);
    const data = Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1);
    onPathChallengeOn(ctx, path1, data, p.now);
    assert.equal(path1.paths.active, active, 'the path stays on its address pair');
    assert.equal(active.responses.length, 0, 'not answered on the active address pair');
    const probe = path1.paths.probe!;
    assert.deepEqual(probe.remote, rebound);
    assert.deepEqual(probe.responses, [data]);
    // The new address is unvalidated: what it may be sent is bounded by what came from it (§8.1).
    assert.equal(probe.amplificationAllowance(), 300);
    // A second challenge from there uses the same probe.
    onPathChallengeOn(ctx, path1, data, p.now);
    assert.equal(path1.paths.probe, probe);
    assert.equal(probe.responses.length, 2);
  });

  it('the largest PTO of the open paths bounds closing and key updates (RFC 10069 §2.5)', () => {
    const { conn, ctx } = twoPaths();
    const pto1 = conn.multipath!.get(1)!.paths.active.sendControl.rtt.ptoPeriod(true);
    const t = largestPto(ctx);
    assert.ok(t >= ctx.ptoPeriod());
    assert.ok(t >= pto1);
    assert.ok(t === ctx.ptoPeriod() || t === pto1);
  });

  it('a PATH_ACK of a packet never sent on the path is a PROTOCOL_VIOLATION (RFC 9000 §13.1)', () => {
    const { p, ctx } = twoPaths();
    const frame = {
      kind: 'path_ack' as const,
      pathId: 1,
      ackDelay: 0,
      ranges: [{ smallest: 1_000_000, largest: 1_000_000 }],
    };
    assert.throws(
      () => onMultipathFrame(ctx, frame, p.now),
      (e: unknown) => e instanceof QuicError && e.code === TransportError.PROTOCOL_VIOLATION,
    );
  });

  it('a PATH_ACK for a path whose state is gone is ignored (RFC 10069 §3.4.3)', () => {
    const { p, conn, ctx } = twoPaths();
    onMultipathFrame(ctx, { kind: 'path_abandon', pathId: 1, errorCode: 0 }, p.now);
    const until = p.now + 3 * largestPto(ctx);
    assert.ok(
      p.runUntil(() => p.now > until && conn.multipath!.get(1) === undefined, 5_000_000),
      'path 1 state dropped',
    );
    const acks = ctx.stats.acksReceived;
    const frame = {
      kind: 'path_ack' as const,
      pathId: 1,
      ackDelay: 0,
      ranges: [{ smallest: 1_000_000, largest: 1_000_000 }],
    };
    onMultipathFrame(ctx, frame, p.now);
    assert.equal(ctx.stats.acksReceived, acks, 'not counted, not processed');
    assert.equal(conn.state, 'established');
  });

  it('a path that fails validation is abandoned, the connection lives on (RFC 10069 §3.1)', () => {
    const { p, conn } = twoPaths();
    const closed: [number, PathCloseInfo][] = [];
    conn.on('pathClosed', (id, info) => closed.push([id, info]));
    p.net.failLink('c', p.now, p.now + 60_000_000);
    let id = -1;
    assert.ok(
      p.runUntil(() => (id = conn.openPath(THIRD)) >= 0, 2_000_000),
      'a path ID',
    );
    const opened = p.now;
    assert.ok(
      p.runUntil(() => closed.length > 0, 30_000_000),
      'validation gave up',
    );
    // RFC 9000 §8.2.4: not before three times the larger of the PTO and 3 × the initial RTT.
    assert.ok(p.now >= opened + 3 * 3 * 333_000, `gave up after ${p.now - opened} µs`);
    assert.deepEqual(closed, [
      [id, { source: 'local', errorCode: 0, reason: 'path validation failed' }],
    ]);
    assert.equal(conn.multipath!.get(id)!.state, 'abandoned');
    assert.equal(conn.state, 'established');
  });

  it('PATH_CIDS_BLOCKED for path 0 beyond the CIDs we issued is a PROTOCOL_VIOLATION (RFC 10069 §4.7)', () => {
    const { p, ctx } = twoPaths();
    const next = ctx.localCids.nextSequenceNumber;
    // Asking for the next one is allowed (the peer used up what it had)...
    onMultipathFrame(
      ctx,
      { kind: 'path_cids_blocked', pathId: 0, nextSequenceNumber: next },
      p.now,
    );
    // ...one we have not issued yet is not.
    const ahead = ctx.localCids.nextSequenceNumber + 1;
    assert.throws(
      () =>
        onMultipathFrame(
          ctx,
          { kind: 'path_cids_blocked', pathId: 0, nextSequenceNumber: ahead },
          p.now,
        ),
      violation(FrameType.PATH_CIDS_BLOCKED),
    );
  });
});
