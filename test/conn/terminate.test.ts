/**
 * Connection.terminate: the host learnt the peer is unreachable (ICMP port unreachable on a
 * connected socket): the connection ends at once with the given reason and sends nothing, not
 * even a CONNECTION_CLOSE (nothing would receive it, and the socket may be failing).
 */
import assert from 'node:assert/strict';
import type { CloseInfo } from '../../src/conn/connection.js';
import { createEnginePair } from '../../src/testing/pair.js';
import { TransportError } from '../../src/wire/errors.js';

const REFUSED: CloseInfo = {
  source: 'local',
  errorCode: TransportError.CONNECTION_REFUSED,
  application: false,
  reason: 'ICMP port unreachable',
};

describe('Connection.terminate', () => {
  it('ends a client in its handshake at once, with the reason given, sending nothing', () => {
    const pair = createEnginePair();
    const conn = pair.conn;
    const closes: CloseInfo[] = [];
    conn.on('close', (info) => closes.push(info));
    // The first Initial is out; the server has not answered yet.
    const first = pair.client.pollTransmit(pair.now);
    assert.ok(first !== null, 'the client sends its first flight');
    while (pair.client.pollTransmit(pair.now) !== null);
    conn.terminate(REFUSED, pair.now);
    assert.equal(conn.state, 'closed');
    assert.deepEqual(closes, [REFUSED]);
    assert.deepEqual(conn.closeInfo, REFUSED);
    assert.equal(pair.client.pollTransmit(pair.now), null, 'no CONNECTION_CLOSE is sent');
    assert.equal(pair.client.nextTimeout(), Infinity, 'no timer is left (no closing period)');
    // A second call changes nothing.
    conn.terminate({ ...REFUSED, reason: 'again' }, pair.now);
    assert.equal(closes.length, 1);
  });

  it('ends an established connection without a packet to the peer', () => {
    let clientSent = 0;
    let clientReceived = 0;
    const pair = createEnginePair({
      endpoint: (engine, role) =>
        role === 'server'
          ? engine
          : {
              handleDatagram: (d, l, r, now, ecn) => {
                clientReceived++;
                engine.handleDatagram(d, l, r, now, ecn);
              },
              pollTransmit: (now) => {
                const t = engine.pollTransmit(now);
                if (t !== null) clientSent++;
                return t;
              },
              nextTimeout: () => engine.nextTimeout(),
              handleTimeout: (now) => engine.handleTimeout(now),
            },
    });
    assert.ok(pair.handshake());
    pair.runFor(100_000);
    const server = pair.serverConn()!;
    const sent = clientSent;
    const received = clientReceived;
    pair.conn.terminate(REFUSED, pair.now);
    assert.equal(pair.conn.state, 'closed');
    // Until a packet of the server reaches it (the engine may answer that one with a stateless
    // reset, RFC 9000 §10.3, as for any unknown connection), the client stays silent.
    pair.runUntil(() => clientReceived > received, 1_000_000);
    assert.equal(clientSent, sent, 'the client sent nothing after terminate');
    assert.equal(server.state, 'established', 'the server heard nothing');
  });

  it('keeps the reason of a connection already closing', () => {
    const pair = createEnginePair();
    assert.ok(pair.handshake());
    pair.conn.close(0x5, 'done');
    pair.conn.terminate(REFUSED, pair.now);
    assert.equal(pair.conn.state, 'closed');
    assert.equal(pair.conn.closeInfo?.errorCode, 0x5);
    assert.equal(pair.conn.closeInfo?.application, true);
  });
});
