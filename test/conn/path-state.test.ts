import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { CouplingGroup } from '../../src/cc/coupling.js';
import { resolveOptions } from '../../src/conn/options.js';
import { PathState } from '../../src/conn/path-state.js';
import { newSendControl } from '../../src/conn/send-controls.js';

const A = { address: '10.0.0.1', port: 1000 };
const B = { address: '10.0.0.2', port: 2000 };
const C = { address: '10.0.0.3', port: 3000 };
const MS = 1000;

/** A path of a server (its send control limited by amplification) or of a client. */
function path(validated: boolean, isClient = false): PathState {
  const sc = newSendControl(
    resolveOptions({ alpn: ['t'] }),
    isClient,
    isClient,
    new CouplingGroup(),
  );
  return new PathState(A, B, sc, validated, {
    sequence: 0,
    cid: new Uint8Array(8),
    sentTo: null,
  });
}

describe('conn/path-state: a network path, its validation and its budget (RFC 9000 §8, §9)', () => {
  it('an unvalidated path sends at most three times what it received (RFC 9000 §8.1)', () => {
    const p = path(false);
    assert.equal(p.validation, 'unvalidated');
    assert.equal(p.amplificationAllowance(), 0, 'nothing before a datagram arrives');
    p.onDatagramReceived(1200, 0);
    assert.equal(p.amplificationAllowance(), 3600);
    p.onDatagramSent(1200, 1);
    p.onDatagramSent(1200, 2);
    assert.equal(p.amplificationAllowance(), 1200);
    p.onDatagramSent(1500, 3);
    assert.equal(p.amplificationAllowance(), 0, 'spent, never negative');
  });

  it('a validated path has no limit', () => {
    const p = path(true);
    assert.equal(p.validated, true);
    p.onDatagramSent(100_000, 0);
    assert.equal(p.amplificationAllowance(), Infinity);
  });

  it('each path owns its budget; activate makes the send control enforce it (§9.3.1)', () => {
    const p = path(false);
    const other = new PathState(C, B, p.sendControl, false, p.dcid);
    assert.notEqual(other.amplification, p.amplification);
    other.activate(0);
    assert.equal(p.sendControl.amplification, other.amplification);
    p.onDatagramReceived(100, 0);
    assert.equal(p.amplificationAllowance(), 300);
    assert.equal(other.amplificationAllowance(), 0, 'bytes of one path do not credit another');
    p.activate(1);
    assert.equal(p.sendControl.amplification, p.amplification);
  });

  it('a path the client opens itself is not bound by the limit (§9.6)', () => {
    const p = path(false);
    p.liftAmplificationLimit();
    assert.equal(p.amplificationAllowance(), Infinity);
  });

  it('the reset token of the CID counts from the first datagram sent to the address (§10.3.1)', () => {
    const p = path(true);
    assert.equal(p.dcid.sentTo, null);
    p.onDatagramSent(1200, 0);
    assert.equal(p.dcid.sentTo, B);
  });

  it('validates on a PATH_RESPONSE echoing the challenge, not on other data (§8.2.2, §8.2.3)', () => {
    const p = path(false);
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    p.startValidation(data, 3 * MS);
    assert.equal(p.validation, 'validating');
    assert.equal(p.onResponse(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 9), 10), false);
    assert.equal(p.validation, 'validating');
    assert.equal(p.amplificationAllowance(), 0);
    assert.equal(p.onResponse(data.slice(), 11), true);
    assert.equal(p.validated, true);
    assert.equal(p.challenge, null);
    assert.equal(p.challengeDeadline, Infinity);
    assert.equal(p.challengeRetryAt, Infinity);
    assert.equal(p.amplificationAllowance(), Infinity, 'validation lifts the limit');
    assert.equal(p.onResponse(data, 12), false, 'a second response validates nothing');
  });

  it('a response with no challenge outstanding is ignored', () => {
    const p = path(false);
    assert.equal(p.onResponse(new Uint8Array(8), 0), false);
    assert.equal(p.validation, 'unvalidated');
  });

  it('the validation deadline runs from the first arming, once (§8.2.4)', () => {
    const p = path(false);
    p.armValidationDeadline(5);
    assert.equal(p.challengeDeadline, Infinity, 'nothing to arm before a validation starts');
    p.startValidation(new Uint8Array(8), 3 * MS);
    assert.equal(p.challengeDeadline, Infinity, 'not armed until a time is known');
    p.armValidationDeadline(100);
    assert.equal(p.challengeDeadline, 100 + 3 * MS);
    p.armValidationDeadline(900);
    assert.equal(p.challengeDeadline, 100 + 3 * MS, 'a second arming does not push it back');
    p.failValidation();
    assert.equal(p.validation, 'failed');
    assert.equal(p.challenge, null);
    assert.equal(p.challengeDeadline, Infinity);
  });

  it('an unanswered PATH_CHALLENGE is retried after a PTO, doubled each time (§8.2.1)', () => {
    const p = path(false);
    p.startValidation(new Uint8Array(8), 10 * MS);
    const pto = 100;
    p.onChallengeSent(0, pto);
    assert.equal(p.challengeSent, true);
    assert.equal(p.challengeRetryAt, pto);
    p.onChallengeSent(pto, pto);
    assert.equal(p.challengeRetryAt, pto + 2 * pto);
    p.onChallengeSent(3 * pto, pto);
    assert.equal(p.challengeRetryAt, 3 * pto + 4 * pto);
    // A new validation starts the backoff again.
    p.startValidation(new Uint8Array(8), 10 * MS);
    assert.equal(p.challengeSent, false);
    assert.equal(p.challengeRetryAt, Infinity);
    p.onChallengeSent(1000, pto);
    assert.equal(p.challengeRetryAt, 1000 + pto);
  });

  it('a Handshake packet validates the address another way (§8.1)', () => {
    const p = path(false);
    p.markValidated(0);
    assert.equal(p.validated, true);
    assert.equal(p.amplificationAllowance(), Infinity);
  });

  it('records a sent packet in the send control of the path', () => {
    const p = path(true, true);
    assert.equal(p.sendControl.bytesInFlight, 0);
    p.recordSent(PnSpace.Initial, 0, 0, 1200, true, true, [{ k: 'none' }]);
    assert.equal(p.sendControl.bytesInFlight, 1200);
    p.recordSent(PnSpace.Initial, 1, 1, 40, false, false, [{ k: 'none' }]);
    assert.equal(p.sendControl.bytesInFlight, 1200, 'a packet not in flight does not count');
  });
});
