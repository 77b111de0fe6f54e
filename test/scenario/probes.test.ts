/**
 * PTO probes in the Initial space (RFC 9002 §6.2.4): each probe carries the unacknowledged
 * CRYPTO data again, so whichever of them arrives first can start the connection. A server may
 * close a new connection whose first Initial holds no CRYPTO frame (aioquic does; the interop
 * runner's handshakeloss case found it).
 */
import assert from 'node:assert/strict';
import { createEnginePair, PAIR_CLIENT_ADDRESS } from '../../src/testing/pair.js';
import { dissectDatagram } from '../../src/testing/dissect.js';
import { addressKey } from '../../src/util/address.js';

describe('scenario: Initial probes carry CRYPTO data', () => {
  for (const groups of [['x25519'], ['X25519MLKEM768', 'x25519']] as const) {
    it(`every client Initial holds a CRYPTO frame while the server hears none (${groups[0]})`, () => {
      const p = createEnginePair({ seed: 3, client: { groups: [...groups] } });
      // The client's datagrams are lost for 3.5 s: its first flight and two rounds of two probes
      // (PTO at 1 s and 3 s with the 333 ms initial RTT, RFC 9002 §6.2.2).
      p.net.blackhole(0, 3_500_000, 'client', 'server');
      const initials: { crypto: boolean; at: number }[] = [];
      const tap = p.net.onSend;
      p.net.onSend = (data, from, to) => {
        tap?.(data, from, to);
        if (addressKey(from) !== addressKey(PAIR_CLIENT_ADDRESS)) return;
        for (const pkt of dissectDatagram(data).packets) {
          if (pkt.type !== 'initial' || pkt.frames === undefined) continue;
          const frames = pkt.frames;
          if (!frames.some((f) => f.kind !== 'padding' && f.kind !== 'ack')) continue;
          initials.push({ crypto: frames.some((f) => f.kind === 'crypto'), at: p.now });
        }
      };
      assert.ok(p.handshake(10_000_000), 'the handshake completes after the blackhole');
      const probes = initials.filter((i) => i.at > 0 && i.at < 3_500_000);
      assert.ok(probes.length >= 4, `several probes were sent (${probes.length})`);
      const bare = initials.filter((i) => !i.crypto);
      assert.deepEqual(bare, [], 'no ack-eliciting client Initial without CRYPTO');
    });
  }
});
