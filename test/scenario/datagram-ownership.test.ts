/**
 * The engine keeps nothing of a datagram after `handleDatagram` returns, so the caller may reuse
 * the buffer (the in-memory network pools its buffers on this). Packets that arrive before their
 * keys are buffered as copies (RFC 9001 §5.7, §4.1.4).
 */
import { strict as assert } from 'node:assert';
import { Engine } from '../../src/engine/engine.js';
import type { SansIoEndpoint } from '../../src/testing/network.js';
import type { SocketAddress } from '../../src/util/address.js';
import { parseLongHeader, splitCoalesced } from '../../src/wire/header.js';
import { PacketType } from '../../src/wire/version.js';
import {
  createEnginePair,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  testCertificate,
} from '../../src/testing/index.js';
import { transfer } from './transfer-kit.js';

/**
 * Wraps an endpoint so every datagram buffer is overwritten as soon as it was handled; the
 * buffers handed over are collected in `seen`.
 */
function scribbling(ep: SansIoEndpoint, seen: Set<ArrayBufferLike>): SansIoEndpoint {
  return {
    handleDatagram(data: Uint8Array, local: SocketAddress, remote: SocketAddress, now: number) {
      seen.add(data.buffer);
      ep.handleDatagram(data, local, remote, now);
      data.fill(0xee);
    },
    pollTransmit: (now) => ep.pollTransmit(now),
    nextTimeout: () => ep.nextTimeout(),
    handleTimeout: (now) => ep.handleTimeout(now),
  };
}

/**
 * A path from `root` to a typed array over one of `targets` (own properties, array elements, Map and Set
 * entries), or null. Closures cannot be looked into; the engine's state is in plain fields.
 */
function findView(root: unknown, targets: ReadonlySet<ArrayBufferLike>): string | null {
  const seen = new Set<object>();
  const queue: [unknown, string][] = [[root, 'engine']];
  for (let i = 0; i < queue.length; i++) {
    const [value, path] = queue[i]!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      if (targets.has(value.buffer)) return path;
      continue;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) queue.push([k, `${path}<key>`], [v, `${path}<value>`]);
    } else if (value instanceof Set) {
      for (const v of value) queue.push([v, `${path}<item>`]);
    }
    for (const key of Object.getOwnPropertyNames(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d !== undefined && 'value' in d) queue.push([d.value, `${path}.${key}`]);
    }
  }
  return null;
}

describe('datagram ownership: the engine keeps nothing after handleDatagram', () => {
  it('a packet buffered before its keys survives the caller reusing the buffer; no view is kept', () => {
    const { cert, ca } = testCertificate();
    const server = new Engine({ server: { alpn: ['test'], certificate: cert } });
    const client = new Engine();
    const conn = client.connect(
      PAIR_SERVER_ADDRESS,
      { alpn: ['test'], serverName: 'localhost', ca: [ca], local: PAIR_CLIENT_ADDRESS },
      0,
    );
    // The ClientHello (two datagrams with the post-quantum key share).
    for (let t = client.pollTransmit(0); t; t = client.pollTransmit(0)) {
      server.handleDatagram(t.data.slice(), PAIR_SERVER_ADDRESS, PAIR_CLIENT_ADDRESS, 1_000);
    }

    // The server's first flight, split into its packets: Initial (ServerHello) and Handshake.
    const initials: Uint8Array[] = [];
    const handshakes: Uint8Array[] = [];
    for (let t = server.pollTransmit(1_000); t; t = server.pollTransmit(1_000)) {
      for (const span of splitCoalesced(t.data, server.cidLength)) {
        const packet = t.data.slice(span.start, span.end);
        // The server greases the QUIC bit once it has the client's parameters (RFC 9287).
        const h = parseLongHeader(packet, 0, true);
        assert.ok(!('drop' in h));
        (h.type === PacketType.Initial ? initials : handshakes).push(packet);
      }
    }
    assert.ok(initials.length > 0 && handshakes.length > 0, 'Initial and Handshake packets');

    // Handshake packets first, each through one reused buffer overwritten after every call:
    // the client has no Handshake keys yet and must buffer copies.
    const buffer = new Uint8Array(2048);
    const deliver = (packet: Uint8Array, now = 2_000): void => {
      const view = buffer.subarray(0, packet.length);
      view.set(packet);
      client.handleDatagram(view, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, now);
      buffer.fill(0xee);
    };
    for (const p of handshakes) deliver(p);
    assert.equal(conn.handshakeComplete, false, 'nothing decryptable yet');
    for (const p of initials) deliver(p);

    // The ServerHello brings the Handshake keys; the buffered packets (EncryptedExtensions,
    // Certificate, CertificateVerify, Finished) complete the handshake with no retransmission.
    assert.equal(conn.handshakeComplete, true);
    assert.equal(conn.state, 'established');

    // The server's answer to the client's Finished (1-RTT), also through the reused buffer.
    for (let t = client.pollTransmit(3_000); t; t = client.pollTransmit(3_000)) {
      server.handleDatagram(t.data.slice(), PAIR_SERVER_ADDRESS, PAIR_CLIENT_ADDRESS, 4_000);
    }
    let answers = 0;
    for (let t = server.pollTransmit(4_000); t; t = server.pollTransmit(4_000)) {
      // Later than the client's 1-RTT packets (3,000): the ACK of its CIDs is an RTT sample.
      deliver(t.data, 5_000);
      answers++;
    }
    assert.ok(answers > 0);
    assert.equal(conn.handshakeConfirmed, true, 'HANDSHAKE_DONE arrived');
    // Nothing the client engine holds is a view of the caller's buffer.
    assert.equal(findView(client, new Set([buffer.buffer])), null);
  });

  it('a lossy transfer is intact when every buffer is overwritten after use; no view is kept', () => {
    const buffers = new Set<ArrayBufferLike>();
    const pair = createEnginePair({
      seed: 11,
      conditions: { delay: 5_000, jitter: 3_000, reorder: 0.1, loss: 0.02, duplicate: 0.02 },
      endpoint: (engine) => scribbling(engine, buffers),
    });
    const { server, client } = pair;
    const r = transfer(pair, 60_000, 200_000);
    assert.ok(r.done, 'transfer finished');
    assert.ok(r.up.complete && r.down.complete, 'every byte arrived intact');
    assert.equal(findView(server, buffers), null);
    assert.equal(findView(client, buffers), null);
  });
});
