/**
 * Deadlines come from the caller's time, never from a clock the connection cached earlier:
 * `close()` and `migrate()` take no `now`, so what they arm is armed from the next time the
 * connection is driven. Before, both used the time of the last packet or timer: after a quiet
 * spell a closing period was over before it began (RFC 9000 §10.2 wants three PTOs) and a path
 * validation timed out before its first PATH_CHALLENGE (RFC 9000 §8.2.4).
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { PAIR_CLIENT_ADDRESS, createEnginePair, type EnginePair } from '../../src/testing/pair.js';

const NEW_LOCAL = { address: PAIR_CLIENT_ADDRESS.address, port: 50001 };

function establish(p: EnginePair): Connection {
  assert.ok(
    p.net.runUntil(() => p.conn.handshakeConfirmed && p.serverConn()?.handshakeConfirmed === true),
    'handshake',
  );
  p.net.runFor(200_000); // the last ACKs settle: nothing is in flight, no timer is armed
  return p.serverConn()!;
}

describe('scenario: deadlines armed after quiet time', () => {
  for (const quiet of [200_000, 10_000_000]) {
    it(`close() after ${quiet / 1e6} s of quiet: the closing period lasts three PTOs`, () => {
      const p = createEnginePair();
      establish(p);
      p.net.runFor(quiet);
      assert.equal(p.conn.state, 'established');
      const pto = p.conn.ptoPeriod();
      let closedAt = -1;
      p.conn.on('close', () => (closedAt = p.net.now));
      const start = p.net.now;
      p.conn.close(0, 'bye');
      assert.ok(
        p.net.runUntil(() => closedAt >= 0, 10 * pto),
        'the closing period ends',
      );
      // RFC 9000 §10.2: the closing state lasts at least three times the current PTO.
      assert.ok(closedAt - start >= 3 * pto, `closing lasted ${closedAt - start} µs, PTO ${pto}`);
      assert.ok(closedAt - start <= 4 * pto, `closing lasted ${closedAt - start} µs, PTO ${pto}`);
    });
  }

  it('migrate() after 10 s of quiet validates the new path and switches to it', () => {
    const p = createEnginePair();
    const sc = establish(p);
    p.net.runFor(10_000_000);
    let changes = 0;
    p.conn.on('pathChange', () => changes++);
    assert.ok(p.conn.migrate(NEW_LOCAL), 'migrate() started');
    assert.ok(
      p.net.runUntil(() => changes > 0, 5_000_000),
      'the client moved',
    );
    assert.deepEqual(p.conn.localAddress, NEW_LOCAL);
    // Data on the new path moves the server too (RFC 9000 §9.3).
    p.conn.ping();
    assert.ok(
      p.net.runUntil(() => sc.remoteAddress.port === NEW_LOCAL.port, 5_000_000),
      'the server followed',
    );
  });
});
