import assert from 'node:assert/strict';
import { MemoryAntiReplayStore } from '../../src/tls/anti-replay.js';
import { peekClientHello } from '../../src/tls/client-hello-peek.js';
import { createTlsClient } from '../../src/tls/client.js';
import { Level, type TlsCallbacks } from '../../src/tls/types.js';

const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

describe('tls: MemoryAntiReplayStore (RFC 8446 §8.2)', () => {
  it('accepts a key once, until it expires', () => {
    const s = new MemoryAntiReplayStore();
    assert.equal(s.checkAndRecord(key(1), 1000, 5000), true);
    assert.equal(s.checkAndRecord(key(1), 2000, 6000), false, 'a replay');
    assert.equal(s.checkAndRecord(key(2), 2000, 6000), true, 'another ClientHello');
    // Past its window the entry is forgotten (the ticket-age check rejects such copies).
    assert.equal(s.checkAndRecord(key(1), 5000, 9000), true);
    assert.equal(s.size, 2);
  });

  it('forgets expired entries, and refuses (never accepts twice) when full of live ones', () => {
    const s = new MemoryAntiReplayStore(3);
    for (let i = 0; i < 3; i++) assert.equal(s.checkAndRecord(key(i), 0, 100 + i), true);
    assert.equal(s.checkAndRecord(key(9), 50, 150), false, 'full: refused');
    assert.equal(s.checkAndRecord(key(0), 50, 150), false, 'still a replay');
    assert.equal(s.checkAndRecord(key(9), 101, 200), true, 'room once one expired');
    assert.equal(s.size, 2, 'the two expired entries are gone');
    assert.throws(() => new MemoryAntiReplayStore(0), RangeError);
  });
});

describe('tls: peekClientHello', () => {
  function clientHello(serverName: string, alpn: string[]): Uint8Array {
    const out: Uint8Array[] = [];
    const cb: TlsCallbacks = {
      onHandshakeData: (level, data) => {
        if (level === Level.Initial) out.push(data);
      },
      onSecret: () => {},
      onPeerTransportParameters: () => {},
      onHandshakeComplete: () => {},
      onAlert: () => {},
    };
    createTlsClient(
      { alpnProtocols: alpn, serverName, transportParameters: new Uint8Array(16) },
      cb,
    ).start();
    return Buffer.concat(out);
  }

  it('reads SNI and ALPN from a whole ClientHello', () => {
    const ch = clientHello('Example.COM', ['h3', 'hq-interop']);
    assert.ok(ch.length > 1200, 'the default ClientHello carries a post-quantum key share');
    assert.deepEqual(peekClientHello(ch), {
      serverName: 'example.com',
      alpn: ['h3', 'hq-interop'],
      transportParameters: new Uint8Array(16),
      complete: true,
    });
  });

  it('reads what a prefix holds, at every cut, without throwing', () => {
    const ch = clientHello('example.com', ['h3']);
    let sawBoth = 0;
    let sawParams = 0;
    for (let n = 0; n < ch.length; n++) {
      const p = peekClientHello(ch.subarray(0, n));
      if (n < 4) assert.equal(p, null);
      else {
        assert.ok(p);
        assert.equal(p.complete, false);
        if (p.serverName !== null && p.alpn !== null) sawBoth++;
        if (p.transportParameters !== null) sawParams++;
      }
    }
    // SNI, ALPN and the transport parameters (version_information, RFC 9368 §2.3) precede the
    // key shares: most cuts already hold them.
    assert.ok(sawBoth > ch.length / 2, `${sawBoth} of ${ch.length}`);
    assert.ok(sawParams > ch.length / 2, `${sawParams} of ${ch.length}`);
  });

  it('null for what is not a ClientHello; null for a malformed extension', () => {
    assert.equal(peekClientHello(Uint8Array.of(2, 0, 0, 4, 3, 3, 0, 0)), null);
    const ch = clientHello('example.com', ['h3']).slice();
    // Break the server_name extension's inner list length (first extension, after the fixed
    // part: 4 + 2 + 32 + 1 + session id, suites, compression, extensions length, type, length).
    let p = 4 + 2 + 32;
    p += 1 + ch[p]!;
    p += 2 + ((ch[p]! << 8) | ch[p + 1]!);
    p += 1 + ch[p]!;
    p += 2; // extensions length
    assert.equal((ch[p]! << 8) | ch[p + 1]!, 0, 'server_name comes first');
    ch[p + 4] = 0xff;
    assert.equal(peekClientHello(ch), null);
  });
});
