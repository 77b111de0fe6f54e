import assert from 'node:assert/strict';
import { LocalCids, MAX_ISSUED_CIDS, PeerCids, type CidHost } from '../../src/conn/cids.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import type { NewConnectionIdFrame } from '../../src/wire/frame-types.js';

/** `n` bytes, all `v`. */
const filled = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

function newCid(seq: number, cidLength: number, retirePriorTo = 0): NewConnectionIdFrame {
  return {
    kind: 'new_connection_id',
    sequenceNumber: seq,
    retirePriorTo,
    connectionId: filled(cidLength, seq),
    statelessResetToken: filled(16, 0x80 + seq),
  };
}

/** An engine stand-in: numbered CIDs, reset tokens derived from them, retirements recorded. */
class Host implements CidHost {
  issued = 0;
  readonly retired: number[] = [];
  constructor(private readonly cidLength: number) {}
  newCid(): { cid: Uint8Array; resetToken: Uint8Array } {
    const n = ++this.issued;
    return { cid: filled(this.cidLength, n), resetToken: filled(16, 0x40 + n) };
  }
  onCidRetired(cid: Uint8Array): void {
    this.retired.push(cid[0]!);
  }
}

describe('conn/cids', () => {
  describe('PeerCids', () => {
    it('keeps its own copies of every CID and token, across many of the longest CIDs', () => {
      const peer = new PeerCids(filled(8, 0xee), 16);
      const frames: NewConnectionIdFrame[] = [];
      for (let seq = 1; seq <= 15; seq++) {
        const f = newCid(seq, 20); // 36 bytes each: more than one storage chunk in all
        frames.push(f);
        peer.add(f);
      }
      // The frames' buffers are the packet's: overwriting them must not reach the copies.
      for (const f of frames) {
        f.connectionId.fill(0);
        f.statelessResetToken.fill(0);
      }
      assert.deepEqual(peer.resetTokens(), [], 'no CID used yet: no token counts (§10.3.1)');
      for (let seq = 1; seq <= 15; seq++) {
        peer.switchTo(seq);
        assert.deepEqual(peer.current.cid, filled(20, seq));
        assert.equal(peer.current.cid.length, 20);
        // Used from now on: its token counts, the previous CID is retired with its token.
        peer.current.sentTo = { address: '10.0.0.1', port: 443 };
        assert.deepEqual(peer.resetTokens(), [filled(16, 0x80 + seq)]);
      }
    });

    it('copies the handshake CID the server chose (RFC 9000 §7.2)', () => {
      const peer = new PeerCids(filled(8, 1), 8);
      const scid = filled(8, 9);
      peer.replaceInitial(scid);
      scid.fill(0);
      assert.deepEqual(peer.current.cid, filled(8, 9));
    });

    it('refuses a sequence number reused for another CID', () => {
      const peer = new PeerCids(filled(8, 0xee), 8);
      peer.add(newCid(1, 8));
      peer.add(newCid(1, 8)); // a repeat of the same frame is fine
      const other = newCid(1, 8);
      other.connectionId = filled(8, 0x55);
      assert.throws(
        () => peer.add(other),
        (e: unknown) => e instanceof QuicError && e.code === TransportError.PROTOCOL_VIOLATION,
      );
    });
  });

  describe('LocalCids', () => {
    it('issues CIDs up to the peer limit, each with its own token bytes', () => {
      const host = new Host(20);
      const local = new LocalCids(host);
      local.addInitial(filled(20, 0), filled(16, 0x40));
      local.topUp(3);
      assert.equal(host.issued, 2);
      const all = local.all();
      assert.equal(all.length, 3);
      all.forEach((e, i) => {
        assert.equal(e.sequence, i);
        assert.deepEqual(e.cid, filled(20, i));
        assert.deepEqual(e.resetToken, filled(16, 0x40 + i));
      });
      assert.equal(local.pending.length, 2, 'NEW_CONNECTION_ID frames to send');
      local.retire(1, filled(20, 0));
      assert.deepEqual(host.retired, [1]);
      assert.equal(local.isActive(1), false);
      assert.deepEqual(local.get(2)?.cid, filled(20, 2));
    });

    it(`keeps at most ${MAX_ISSUED_CIDS} issued whatever the peer allows, replacing retired ones`, () => {
      const host = new Host(20);
      const local = new LocalCids(host);
      local.addInitial(filled(20, 0), filled(16, 0x40));
      local.topUp(8);
      assert.equal(local.all().length, MAX_ISSUED_CIDS);
      assert.equal(host.issued, MAX_ISSUED_CIDS - 1);
      local.retire(1, filled(20, 0));
      local.topUp(8);
      assert.equal(local.all().length, MAX_ISSUED_CIDS, 'the retired one replaced');
      assert.equal(host.issued, MAX_ISSUED_CIDS);
    });
  });
});
