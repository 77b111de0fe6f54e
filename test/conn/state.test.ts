import assert from 'node:assert/strict';
import { ConnectionLifecycle, type CloseInfo } from '../../src/conn/state.js';

const LOCAL: CloseInfo = { source: 'local', errorCode: 0, application: true, reason: 'bye' };
const PEER: CloseInfo = { source: 'peer', errorCode: 1, application: false, reason: 'x' };
const IDLE: CloseInfo = { source: 'idle_timeout', errorCode: 0, application: false, reason: '' };

describe('conn/state: the connection lifecycle (RFC 9000 §10)', () => {
  it('handshake -> established -> closing -> closed, keeping our close reason', () => {
    const l = new ConnectionLifecycle();
    assert.equal(l.kind, 'handshake');
    assert.ok(l.isOpen);
    assert.equal(l.closeInfo, null);
    l.establish();
    assert.equal(l.kind, 'established');
    assert.ok(l.startClosing(LOCAL, 1000));
    assert.equal(l.kind, 'closing');
    assert.equal(l.isOpen, false);
    assert.equal(l.deadline, 1000);
    assert.equal(l.startClosing(PEER, 5), false, 'the first close wins');
    // The peer's CONNECTION_CLOSE while closing: draining, our reason stays.
    const d = l.startDraining(PEER, 2000);
    assert.deepEqual(d, { info: LOCAL, wasOpen: false });
    assert.equal(l.deadline, 2000);
    const f = l.finish(IDLE);
    assert.deepEqual(f, { info: LOCAL, wasEnding: true });
    assert.equal(l.kind, 'closed');
    assert.equal(l.finish(IDLE), null);
    assert.equal(l.startDraining(PEER, 1), null);
  });

  it('handshake confirmation (RFC 9001 §4.1.2) happens once and is kept through the end', () => {
    const l = new ConnectionLifecycle();
    assert.equal(l.handshakeConfirmed, false);
    l.establish();
    assert.equal(l.handshakeConfirmed, false, 'a client is complete before HANDSHAKE_DONE');
    assert.ok(l.confirm());
    assert.equal(l.kind, 'established');
    assert.ok(l.handshakeConfirmed);
    assert.equal(l.confirm(), false, 'only once');
    l.establish();
    assert.ok(l.handshakeConfirmed, 'establish does not undo it');
    // The close is sent with 1-RTT keys only and the PTO counts max_ack_delay: it stays.
    l.startClosing(LOCAL, 1000);
    assert.ok(l.handshakeConfirmed);
    l.startDraining(PEER, 2000);
    assert.ok(l.handshakeConfirmed);
    l.finish(IDLE);
    assert.ok(l.handshakeConfirmed);
  });

  it('a connection that closes unconfirmed stays unconfirmed', () => {
    const l = new ConnectionLifecycle();
    l.establish();
    l.startClosing(LOCAL, 1000);
    assert.equal(l.confirm(), false, 'no confirmation while closing');
    assert.equal(l.handshakeConfirmed, false);
    // A server's handshake is confirmed as it completes: confirm() from the handshake state.
    const s = new ConnectionLifecycle();
    assert.ok(s.confirm());
    assert.equal(s.kind, 'established');
    assert.ok(s.handshakeConfirmed);
  });

  it('a close without a now is armed later, once', () => {
    const l = new ConnectionLifecycle();
    l.startClosing(LOCAL, NaN);
    assert.equal(l.deadline, Infinity, 'no deadline until armed');
    assert.ok(l.armClosing(500));
    assert.equal(l.deadline, 500);
    assert.equal(l.armClosing(900), false);
    assert.equal(l.deadline, 500);
  });

  it('resends CONNECTION_CLOSE after 1, 2, 4, 8 ... datagrams (RFC 9000 §10.2.1)', () => {
    const l = new ConnectionLifecycle();
    l.startClosing(LOCAL, 1000);
    assert.ok(l.takeCloseResend(), 'the first CONNECTION_CLOSE');
    assert.equal(l.takeCloseResend(), false);
    const resentAfter: number[] = [];
    for (let n = 1; n <= 16; n++) {
      l.onDatagramWhileClosing();
      if (l.takeCloseResend()) resentAfter.push(n);
    }
    assert.deepEqual(resentAfter, [1, 2, 4, 8, 16]);
  });

  it('ends without closing first: the given reason, and draining from open', () => {
    const a = new ConnectionLifecycle();
    assert.deepEqual(a.finish(IDLE), { info: IDLE, wasEnding: false });
    const b = new ConnectionLifecycle();
    assert.deepEqual(b.startDraining(PEER, 10), { info: PEER, wasOpen: true });
    assert.equal(b.closeInfo, PEER);
    assert.equal(b.closeResendDue, false);
  });
  it("a server's address validation belongs to the handshake (RFC 9000 §8.1)", () => {
    const l = new ConnectionLifecycle(false);
    assert.equal(l.addressValidated, false);
    assert.ok(l.validateAddress(), 'a Handshake packet validates it');
    assert.equal(l.validateAddress(), false, 'once');
    assert.ok(l.addressValidated);
    // An established connection has it: its client's Finished came in a Handshake packet.
    const e = new ConnectionLifecycle(false);
    e.establish();
    assert.ok(e.addressValidated);
    assert.equal(e.validateAddress(), false, 'nothing left to validate');
    // A token validates it from the start (RFC 9000 §8.1.3); a client's peer always is.
    assert.ok(new ConnectionLifecycle(true).addressValidated);
    assert.ok(new ConnectionLifecycle().addressValidated);
    // A connection that ends unvalidated stays so (admission control counts it).
    const c = new ConnectionLifecycle(false);
    c.startClosing(LOCAL, 1000);
    assert.equal(c.addressValidated, false);
    assert.equal(c.validateAddress(), false, 'no validation while closing');
    c.finish(IDLE);
    assert.equal(c.addressValidated, false);
  });

  it('0-RTT is attempted during the handshake, then accepted or rejected (RFC 9001 §4.6)', () => {
    const accepted = new ConnectionLifecycle();
    assert.equal(accepted.earlyData, 'none');
    accepted.onEarlyDataKeys(true);
    assert.equal(accepted.earlyData, 'attempted');
    assert.equal(accepted.establish(true), 'accepted');
    assert.equal(accepted.earlyData, 'accepted');
    accepted.confirm();
    accepted.startClosing(LOCAL, 1000);
    accepted.finish(IDLE);
    assert.equal(accepted.earlyData, 'accepted', 'kept through the end (statistics)');

    const rejected = new ConnectionLifecycle();
    rejected.onEarlyDataKeys(true);
    assert.equal(rejected.establish(false), 'rejected');
    rejected.onEarlyDataKeys(true);
    assert.equal(rejected.earlyData, 'rejected', 'no 0-RTT keys after the handshake');

    const none = new ConnectionLifecycle();
    assert.equal(none.establish(true), 'none', 'nothing attempted, nothing accepted');

    // A server has the 0-RTT keys only when it accepted early data.
    const server = new ConnectionLifecycle(false);
    server.onEarlyDataKeys(false);
    assert.equal(server.earlyData, 'accepted');
    server.establish();
    assert.ok(server.confirm());
    assert.equal(server.earlyData, 'accepted');

    // A client's new attempt after Version Negotiation starts without 0-RTT (RFC 9368 §2.1).
    const restarted = new ConnectionLifecycle();
    restarted.onEarlyDataKeys(true);
    restarted.forgetEarlyData();
    assert.equal(restarted.earlyData, 'none');
    assert.equal(restarted.establish(false), 'none');
  });
});
