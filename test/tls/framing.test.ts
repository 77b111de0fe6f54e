/**
 * Handshake message reassembly, and the state machines against split, truncated and corrupted
 * input. A deterministic client and server (seeded randomness and key shares, an Ed25519 server
 * key, whose signatures are deterministic) make a recorded conversation replayable, so each
 * message can be cut or corrupted at every byte in the state where it is expected.
 */
import assert from 'node:assert/strict';
import { x25519 } from '@noble/curves/ed25519.js';
import type { KeyShare } from '../../src/crypto/provider.js';
import { createTlsClient } from '../../src/tls/client.js';
import { HandshakeReassembler } from '../../src/tls/framing.js';
import { createTlsServer } from '../../src/tls/server.js';
import type { TlsClientConfig, TlsServerConfig } from '../../src/tls/types.js';
import { TlsAlert } from '../../src/tls/alert.js';
import { toHex } from '../../src/util/bytes.js';
import {
  Level,
  Side,
  type TestPki,
  clientConfig,
  frame,
  handshake,
  makePki,
  serverConfig,
  splitMessages,
} from './harness.js';

describe('HandshakeReassembler', () => {
  const msgs = [
    frame(1, Uint8Array.of(1, 2, 3)),
    frame(2, new Uint8Array(0)),
    frame(8, new Uint8Array(300).fill(9)),
  ];
  const all = new Uint8Array(msgs.reduce((a, m) => a + m.length, 0));
  let o = 0;
  for (const m of msgs) {
    all.set(m, o);
    o += m.length;
  }

  it('returns whole messages however the bytes are split', () => {
    for (const chunk of [1, 2, 3, 5, 7, 64, all.length]) {
      const r = new HandshakeReassembler(1024);
      const got: Uint8Array[] = [];
      for (let i = 0; i < all.length; i += chunk) {
        r.push(all.subarray(i, i + chunk));
        for (let m = r.next(); m !== null; m = r.next()) {
          assert.equal(m.body.length, m.raw.length - 4);
          assert.equal(m.type, m.raw[0]);
          got.push(m.raw);
        }
      }
      assert.deepEqual(got, msgs);
      assert.equal(r.buffered, 0);
    }
  });

  it('copies its input', () => {
    const r = new HandshakeReassembler(1024);
    const input = msgs[0]!.slice();
    r.push(input);
    input.fill(0);
    assert.deepEqual(r.next()!.raw, msgs[0]);
  });

  it('refuses a header announcing more than the bound', () => {
    const r = new HandshakeReassembler(100);
    r.push(Uint8Array.of(1, 0, 0, 101));
    assert.throws(() => r.next(), TlsAlert);
    const ok = new HandshakeReassembler(100);
    ok.push(Uint8Array.of(1, 0, 0, 100));
    assert.equal(ok.next(), null);
  });
});

/** A tiny deterministic generator (SplitMix32) for injected randomness. */
function seeded(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      out[i] = (z ^ (z >>> 16)) & 0xff;
    }
    return out;
  };
}

/** X25519 results are memoized: replays repeat the same key pairs thousands of times. */
const memo = new Map<string, Uint8Array | null>();
function cached(key: string, f: () => Uint8Array | null): Uint8Array | null {
  if (!memo.has(key)) memo.set(key, f());
  return memo.get(key)!;
}

function deterministic(
  seed: number,
): Pick<TlsClientConfig, 'random' | 'generateKeyShare' | 'groups'> {
  const random = seeded(seed);
  return {
    random,
    groups: ['x25519'],
    generateKeyShare: (): KeyShare => {
      const priv = random(32);
      const id = toHex(priv);
      return {
        group: 'x25519',
        publicKey: cached(id, () => x25519.getPublicKey(priv))!,
        deriveSecret: (peer) =>
          cached(`${id}/${toHex(peer)}`, () => {
            try {
              return x25519.getSharedSecret(priv, peer);
            } catch {
              return null;
            }
          }),
      };
    },
  };
}

interface Recorded {
  readonly level: Level;
  readonly message: Uint8Array;
}

describe('tls state machines against cut and corrupted messages', () => {
  let pki: TestPki;
  let cc: TlsClientConfig;
  let sc: TlsServerConfig;
  let fromServer: Recorded[];
  let fromClient: Recorded[];

  const newClient = (): Side => {
    const side = new Side();
    side.session = createTlsClient({ ...cc, ...deterministic(1) }, side.callbacks());
    side.session.start();
    return side;
  };
  const newServer = (): Side => {
    const side = new Side();
    side.session = createTlsServer({ ...sc, ...deterministic(2) }, side.callbacks());
    return side;
  };

  /** Replays `script` into `side`, replacing message `index` by `replacement`. */
  function replay(side: Side, script: Recorded[], index: number, replacement: Uint8Array): Side {
    for (let i = 0; i < script.length; i++) {
      const { level, message } = script[i]!;
      side.session.receive(level, i === index ? replacement : message);
      if (side.alert !== null) break;
    }
    return side;
  }

  before(async function () {
    this.timeout(10000);
    pki = makePki('ed25519');
    cc = clientConfig(pki);
    sc = serverConfig(pki);
    const p = await handshake({ ...cc, ...deterministic(1) }, { ...sc, ...deterministic(2) });
    assert.ok(p.client.completed && p.server.completed);
    const record = (data: { level: Level; data: Uint8Array }[]): Recorded[] =>
      data.flatMap((d) => splitMessages(d.data).map((message) => ({ level: d.level, message })));
    fromServer = record(p.server.data).filter((r) => r.level !== Level.Application);
    fromClient = record(p.client.data);
    assert.equal(fromServer.length, 5); // SH, EE, Certificate, CertificateVerify, Finished
    assert.equal(fromClient.length, 2); // ClientHello, Finished
  });

  it('replays deterministically (control for the tests below)', () => {
    const c = replay(newClient(), fromServer, -1, new Uint8Array(0));
    assert.ok(c.completed, c.alert?.reason);
    const s = replay(newServer(), fromClient, -1, new Uint8Array(0));
    assert.ok(s.completed, s.alert?.reason);
  });

  it('completes when every byte arrives in its own chunk', () => {
    for (const [side, script] of [
      [newClient(), fromServer],
      [newServer(), fromClient],
    ] as const) {
      for (const { level, message } of script) {
        for (let i = 0; i < message.length; i++)
          side.session.receive(level, message.subarray(i, i + 1));
      }
      assert.ok(side.completed, side.alert?.reason);
    }
  });

  it('waits without alert on a message cut short of its announced length', () => {
    for (let index = 0; index < fromServer.length; index++) {
      const m = fromServer[index]!.message;
      const c = replay(
        newClient(),
        fromServer.slice(0, index + 1),
        index,
        m.subarray(0, m.length - 1),
      );
      assert.equal(c.alert, null);
      assert.equal(c.completed, false);
    }
  });

  it('alerts on every message truncated at every byte (length fields made consistent)', () => {
    for (const [make, script] of [
      [newClient, fromServer],
      [newServer, fromClient],
    ] as const) {
      for (let index = 0; index < script.length; index++) {
        const m = script[index]!.message;
        for (let cut = 0; cut < m.length - 4; cut++) {
          const truncated = frame(m[0]!, m.subarray(4, 4 + cut));
          const side = replay(make(), script, index, truncated);
          assert.ok(side.alert !== null, `message ${m[0]} cut at ${cut}: no alert`);
          assert.equal(side.completed, false);
        }
      }
    }
  });

  it('alerts on every single-byte corruption of every message', () => {
    for (const [make, script] of [
      [newClient, fromServer],
      [newServer, fromClient],
    ] as const) {
      for (let index = 0; index < script.length; index++) {
        const m = script[index]!.message;
        // Every byte; in the long Certificate message every third byte keeps the file fast.
        const step = m[0] === 11 ? 3 : 1;
        for (let at = 0; at < m.length; at += step) {
          const bad = m.slice();
          bad[at] = bad[at]! ^ (at % 2 === 0 ? 0xff : 0x01);
          const side = replay(make(), script, index, bad);
          // A corrupted header length leaves the message incomplete: nothing to judge yet.
          if (at >= 1 && at <= 3 && side.alert === null) continue;
          assert.ok(side.alert !== null, `message ${m[0]} corrupted at ${at}: no alert`);
          assert.equal(side.completed, false);
        }
      }
    }
  });
});
