/**
 * Application events are delivered after the datagram that raised them was processed, never
 * in the middle of a packet; a listener that throws does not close the connection: its error
 * goes to the connection's `error` listeners, or surfaces as an uncaught exception.
 */
import assert from 'node:assert/strict';
import { utf8 } from '../../src/util/bytes.js';
import { createEnginePair, type EnginePair } from '../../src/testing/pair.js';

function established(): EnginePair {
  const p = createEnginePair();
  assert.ok(p.net.runUntil(() => p.conn.handshakeConfirmed && p.serverConn() !== null));
  return p;
}

describe('scenario: application events', () => {
  it('are delivered after the packet that raised them was processed', () => {
    const p = established();
    const server = p.serverConn()!;
    let inDatagram = false;
    let packetsAtDatagramStart = -1;
    const handle = p.server.handleDatagram.bind(p.server);
    p.server.handleDatagram = (d, local, remote, now) => {
      inDatagram = true;
      packetsAtDatagramStart = server.getStats().packetsReceived;
      handle(d, local, remote, now);
      inDatagram = false;
    };
    const checks: boolean[] = [];
    const check = (): void => {
      // Still inside handleDatagram, but the packet is done: it has been counted as received.
      checks.push(inDatagram && server.getStats().packetsReceived > packetsAtDatagramStart);
    };
    server.on('stream', check);
    server.on('readable', check);
    p.conn.openStream(true)!.write(utf8('hello'), true);
    assert.ok(p.net.runUntil(() => checks.length >= 2, 2_000_000));
    assert.ok(
      checks.every((c) => c),
      `events during a packet: ${JSON.stringify(checks)}`,
    );
  });

  it('a throwing listener goes to the error listeners and the connection carries on', () => {
    const p = established();
    const server = p.serverConn()!;
    const errors: unknown[] = [];
    server.on('error', (e) => errors.push(e));
    server.on('stream', () => {
      throw new Error('application bug');
    });
    let got = '';
    server.on('readable', (s) => {
      for (let r = s.read(); r; r = s.read()) got += Buffer.from(r.data).toString();
    });
    p.conn.openStream(true)!.write(utf8('still here'), true);
    assert.ok(
      p.net.runUntil(() => got === 'still here', 2_000_000),
      'data delivered',
    );
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as Error).message, 'application bug');
    assert.equal(server.state, 'established', 'no INTERNAL_ERROR close');
    assert.equal(p.conn.state, 'established');
  });

  it('without an error listener, the error surfaces as an uncaught exception', async () => {
    const p = established();
    const server = p.serverConn()!;
    server.on('stream', () => {
      throw new Error('unhandled application bug');
    });
    const uncaught: unknown[] = [];
    const mochaHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (e) => uncaught.push(e));
    try {
      p.conn.openStream(true)!.write(utf8('x'), true);
      assert.ok(p.net.runUntil(() => server.streams.size > 0, 2_000_000));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const h of mochaHandlers) process.on('uncaughtException', h);
    }
    assert.equal(uncaught.length, 1);
    assert.equal((uncaught[0] as Error).message, 'unhandled application bug');
    assert.equal(server.state, 'established', 'no INTERNAL_ERROR close');
  });
});
