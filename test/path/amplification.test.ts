import assert from 'node:assert/strict';
import { AmplificationBudget } from '../../src/path/amplification.js';

describe('AmplificationBudget (RFC 9000 §8.1)', () => {
  it('allows three times the bytes received before validation', () => {
    const b = new AmplificationBudget(false);
    assert.equal(b.allowance(), 0);
    assert.equal(b.isBlocked(), true);
    b.onDatagramReceived(1200);
    assert.equal(b.allowance(), 3600);
    b.onBytesSent(1200);
    b.onBytesSent(1200);
    assert.equal(b.allowance(), 1200);
    assert.equal(b.isBlocked(), false);
    b.onBytesSent(1200);
    assert.equal(b.allowance(), 0);
    assert.equal(b.isBlocked(), true);
    b.onDatagramReceived(50); // even an unprocessable datagram earns credit
    assert.equal(b.allowance(), 150);
    assert.equal(b.bytesReceived, 1250);
    assert.equal(b.bytesSent, 3600);
  });

  it('lifts the limit once validated, and is never limited for a client', () => {
    const b = new AmplificationBudget(false);
    b.onDatagramReceived(100);
    b.onBytesSent(300);
    b.validate();
    assert.equal(b.validated, true);
    assert.equal(b.allowance(), Infinity);
    assert.equal(b.isBlocked(), false);
    const client = new AmplificationBudget(true);
    assert.equal(client.allowance(), Infinity);
    assert.throws(() => new AmplificationBudget(false, 0.5), RangeError);
  });
});
