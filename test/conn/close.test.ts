import assert from 'node:assert/strict';
import {
  armClosing,
  closeOnError,
  describeClose,
  enterClosing,
  finish,
  startDraining,
} from '../../src/conn/close.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import { ControlFrames } from '../../src/conn/control-frames.js';
import { ConnectionLifecycle, type CloseInfo } from '../../src/conn/state.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';

const PTO = 100_000;

/** A connection as closing sees it: its lifecycle, queued frames, qlog and events recorded. */
function fakeConnection() {
  const lifecycle = new ConnectionLifecycle(true);
  lifecycle.establish();
  const events: [string, CloseInfo][] = [];
  const logged: string[] = [];
  const conn = {
    lifecycle,
    get closeInfo() {
      return lifecycle.closeInfo;
    },
    controlFrames: new ControlFrames(),
    multipath: null,
    ptoPeriod: () => PTO,
    emit: (event: string, info: CloseInfo) => events.push([event, info]),
    qlog: {
      connectionClosed: (_c: unknown, info: CloseInfo, now: number) =>
        logged.push(`closed ${info.source} at ${now}`),
      close: (now: number) => logged.push(`end at ${now}`),
    },
  };
  return { conn, ctx: conn as unknown as ConnectionContext, events, logged };
}

describe('conn/close: closing, draining, closed (RFC 9000 §10)', () => {
  it('a protocol error: closing for three PTOs, nothing else queued, first error wins', () => {
    const { conn, ctx, events, logged } = fakeConnection();
    conn.controlFrames.queue({ kind: 'handshake_done' });
    closeOnError(ctx, new QuicError(TransportError.PROTOCOL_VIOLATION, 'bad frame', 0x08), 1_000);
    assert.equal(conn.lifecycle.kind, 'closing');
    assert.equal(conn.lifecycle.deadline, 1_000 + 3 * PTO);
    assert.equal(conn.controlFrames.hasPending, false, 'nothing else is sent (§10.2.1)');
    assert.equal(conn.closeInfo?.errorCode, TransportError.PROTOCOL_VIOLATION);
    assert.equal(conn.closeInfo?.frameType, 0x08);
    assert.deepEqual(
      events.map((e) => e[0]),
      ['closing'],
    );
    assert.deepEqual(logged, ['closed local at 1000']);
    closeOnError(ctx, new QuicError(TransportError.FLOW_CONTROL_ERROR, 'later'), 2_000);
    assert.equal(conn.closeInfo?.errorCode, TransportError.PROTOCOL_VIOLATION);
    assert.equal(events.length, 1);
  });

  it('a bug of ours closes with INTERNAL_ERROR instead of throwing', () => {
    const { conn, ctx } = fakeConnection();
    closeOnError(ctx, new TypeError('x is undefined'), 0);
    assert.equal(conn.closeInfo?.errorCode, TransportError.INTERNAL_ERROR);
    assert.equal(conn.closeInfo?.reason, 'internal error: x is undefined');
  });

  it('close() without a now: the closing period starts at the next entry point', () => {
    const { conn, ctx, logged } = fakeConnection();
    enterClosing(ctx, { source: 'local', errorCode: 7, application: true, reason: '' }, NaN);
    assert.equal(conn.lifecycle.kind, 'closing');
    assert.deepEqual(logged, [], 'no time to log yet');
    armClosing(ctx, 5_000);
    assert.equal(conn.lifecycle.deadline, 5_000 + 3 * PTO);
    assert.deepEqual(logged, ['closed local at 5000']);
    armClosing(ctx, 9_000);
    assert.equal(conn.lifecycle.deadline, 5_000 + 3 * PTO, 'armed once');
  });

  it("the peer's close: draining, 'closing' raised only when the connection was open", () => {
    const { conn, ctx, events } = fakeConnection();
    const info: CloseInfo = { source: 'peer', errorCode: 0, application: true, reason: 'bye' };
    startDraining(ctx, info, 1_000);
    assert.equal(conn.lifecycle.kind, 'draining');
    assert.equal(conn.lifecycle.deadline, 1_000 + 3 * PTO);
    assert.deepEqual(events, [['closing', info]]);

    const closing = fakeConnection();
    closeOnError(closing.ctx, new QuicError(TransportError.PROTOCOL_VIOLATION, 'x'), 0);
    startDraining(closing.ctx, info, 10);
    assert.equal(closing.conn.lifecycle.kind, 'draining');
    assert.equal(closing.events.length, 1, "no second 'closing'");
  });

  it("finish: 'close' with the reason of the close, logged once", () => {
    const { ctx, conn, events, logged } = fakeConnection();
    closeOnError(ctx, new QuicError(TransportError.PROTOCOL_VIOLATION, 'x'), 0);
    finish(ctx, conn.closeInfo!, 3 * PTO);
    assert.equal(conn.lifecycle.kind, 'closed');
    assert.deepEqual(
      events.map((e) => [e[0], e[1].errorCode]),
      [
        ['closing', TransportError.PROTOCOL_VIOLATION],
        ['close', TransportError.PROTOCOL_VIOLATION],
      ],
    );
    assert.deepEqual(logged, ['closed local at 0', `end at ${3 * PTO}`]);
    finish(ctx, conn.closeInfo!, 4 * PTO);
    assert.equal(events.length, 2, 'closed once');
  });

  it('an idle timeout ends an open connection at once', () => {
    const { ctx, conn, events, logged } = fakeConnection();
    const info: CloseInfo = {
      source: 'idle_timeout',
      errorCode: 0,
      application: false,
      reason: 'idle timeout',
    };
    finish(ctx, info, 7);
    assert.equal(conn.lifecycle.kind, 'closed');
    assert.deepEqual(events, [['close', info]]);
    assert.deepEqual(logged, ['closed idle_timeout at 7', 'end at 7']);
  });

  it('describes a close in one line', () => {
    const t = { source: 'local', errorCode: 0x0a, application: false, reason: 'bad' } as const;
    assert.equal(describeClose(t), 'PROTOCOL_VIOLATION: bad');
    const a = { source: 'peer', errorCode: 0x10c, application: true, reason: '' } as const;
    assert.equal(describeClose(a), 'application error 0x10c');
  });
});
