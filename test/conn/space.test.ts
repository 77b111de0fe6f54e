import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { MAX_CRYPTO_BUFFER, SpaceState } from '../../src/conn/space.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';

const bytes = (n: number, seed = 1): Uint8Array => new Uint8Array(n).map((_, i) => seed + i);

describe('conn/space SpaceState', () => {
  it('makes its CRYPTO buffers only when data goes through them', () => {
    const s = new SpaceState(PnSpace.Application, 25_000);
    assert.equal(s.hasCryptoToSend, false);
    s.tracker.onPacketReceived(0, true, 0); // every space tracks packets from the start
    assert.ok(s.holdsState);
    s.cryptoSend.write(bytes(10));
    assert.equal(s.hasCryptoToSend, true);
    assert.equal(s.cryptoSend.nextOffset(Infinity), 0, 'the same buffer on every access');
  });

  it('hands contiguous CRYPTO data to TLS in order, bounded (RFC 9000 §7.5)', () => {
    const s = new SpaceState(PnSpace.Handshake, 25_000);
    assert.equal(s.onCryptoFrame(5, bytes(5, 6)), null, 'a gap: nothing yet');
    assert.deepEqual(s.onCryptoFrame(0, bytes(5)), bytes(10));
    assert.throws(
      () => s.onCryptoFrame(10 + MAX_CRYPTO_BUFFER, bytes(1)),
      (e: unknown) => e instanceof QuicError && e.code === TransportError.CRYPTO_BUFFER_EXCEEDED,
    );
  });

  it('releases its tracker and buffers when discarded (RFC 9001 §4.9)', () => {
    const s = new SpaceState(PnSpace.Initial, 25_000);
    s.cryptoSend.write(bytes(100));
    s.onCryptoFrame(0, bytes(3));
    s.tracker.onPacketReceived(0, true, 0);
    s.probes = 2;
    s.discard();
    assert.equal(s.discarded, true);
    assert.equal(s.holdsState, false);
    assert.equal(s.probes, 0);
    assert.equal(s.hasCryptoToSend, false);
  });

  it('takes late input after the discard into nothing it keeps', () => {
    // The packet whose processing discarded the space may still touch it (its ACK bookkeeping,
    // a CRYPTO frame after the one that completed the handshake).
    const s = new SpaceState(PnSpace.Handshake, 25_000);
    s.tracker.onPacketReceived(0, true, 0);
    s.discard();
    s.tracker.onPacketReceived(1, true, 0);
    assert.equal(s.tracker.largestReceived, -1, 'a detached, empty tracker');
    assert.equal(s.onCryptoFrame(0, bytes(10)), null, 'TLS gets nothing at a discarded level');
    assert.equal(s.cryptoSend.nextOffset(Infinity), -1);
    assert.throws(() => s.cryptoSend.write(bytes(1)), TypeError);
    assert.equal(s.holdsState, false);
  });
});
