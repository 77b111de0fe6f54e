/**
 * Robustness against broken and hostile datagrams: garbage of every size, Initial-looking junk,
 * truncated and corrupted copies of real packets, unknown connection IDs, floods that would grow
 * buffers, and lost CONNECTION_CLOSE packets. Nothing may throw out of an engine, garbage must
 * leave no state behind, and every buffer must stay bounded.
 */
import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { MAX_ISSUED_CIDS } from '../../src/conn/cids.js';
import type { CloseInfo, Connection } from '../../src/conn/connection.js';
import { Engine } from '../../src/engine/engine.js';
import { StatelessResetter } from '../../src/engine/stateless-reset.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import {
  forgeLongPacket,
  forgeRetry,
  forgeShortPacket,
  initialProtector,
} from '../../src/testing/forge.js';
import { Network, type SansIoEndpoint, type Transmit } from '../../src/testing/network.js';
import { SeededRandom } from '../../src/util/random.js';
import { addressKey, type SocketAddress } from '../../src/util/address.js';
import { bytesEqual } from '../../src/util/bytes.js';
import { Writer } from '../../src/util/cursor.js';
import { TransportError } from '../../src/wire/errors.js';
import type { Frame } from '../../src/wire/frame-types.js';
import { encodeVersionNegotiation } from '../../src/wire/header.js';
import {
  type EnginePair,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
  testCertificate,
} from '../../src/testing/index.js';
import { transfer } from './transfer-kit.js';

const ATTACKER_ADDR = { address: '10.0.0.66', port: 6666 };

/** A third endpoint on the network: sends what it is told to, records what reaches it. */
class Attacker implements SansIoEndpoint {
  readonly outbox: Transmit[] = [];
  readonly inbox: { data: Uint8Array; local: SocketAddress; from: SocketAddress }[] = [];
  handleDatagram(data: Uint8Array, local: SocketAddress, from: SocketAddress): void {
    // The network reuses `data` once this returns (SansIoEndpoint.handleDatagram): keep a copy.
    this.inbox.push({ data: data.slice(), local, from });
  }
  pollTransmit(): Transmit | null {
    return this.outbox.shift() ?? null;
  }
  nextTimeout(): number {
    return Infinity;
  }
  handleTimeout(): void {}
}

function pairFor(cc: string, extra: Parameters<typeof createEnginePair>[0] = {}): EnginePair {
  return createEnginePair({
    ...extra,
    client: { congestionControl: cc, ...extra.client },
    serverEngine: { ...extra.serverEngine, connection: { congestionControl: cc } },
  });
}

function establish(p: EnginePair): Connection {
  assert.ok(p.handshake(10_000_000));
  const sc = p.serverConn();
  assert.ok(sc);
  return sc;
}

function withAttacker(p: EnginePair): Attacker {
  const a = new Attacker();
  p.net.addEndpoint('attacker', a, ATTACKER_ADDR);
  return a;
}

/** Calls `hook` before every step of the network. */
function beforeEachStep(net: Network, hook: () => void): void {
  const step = net.step.bind(net);
  net.step = (limit?: number) => {
    hook();
    return step(limit);
  };
}

/** A client Initial header (v1) with random CIDs and `size` bytes in all, then random bytes. */
function initialLookingJunk(rng: SeededRandom, size: number): Uint8Array {
  const w = new Writer(new Uint8Array(size));
  w.u8(0xc0 | rng.int(16))
    .u32(1)
    .u8(8)
    .bytes(rng.bytes(8))
    .u8(8)
    .bytes(rng.bytes(8))
    .u8(0);
  const rest = size - w.pos - 2;
  w.u16(0x4000 | rest);
  w.bytes(rng.bytes(rest));
  return w.buf;
}

for (const cc of ['newreno', 'cubic']) {
  describe(`scenario: robustness against broken datagrams (${cc})`, function () {
    this.timeout(30_000);

    it('random datagrams of every size 0..1500 throw nothing and leave no state', () => {
      const p = pairFor(cc);
      const sc = establish(p);
      const attacker = withAttacker(p);
      const rng = new SeededRandom(7);
      let sentBytes = 0;
      for (let n = 0; n <= 1500; n++) {
        const data = rng.bytes(n);
        sentBytes += n;
        attacker.outbox.push({ data, remote: PAIR_SERVER_ADDRESS });
        attacker.outbox.push({ data: data.slice(), remote: PAIR_CLIENT_ADDRESS });
      }
      p.net.runFor(2_000_000);
      assert.equal(attacker.outbox.length, 0, 'everything was sent');
      assert.equal(p.server.connectionCount, 1, 'no server state for garbage');
      assert.equal(p.client.connectionCount, 1, 'no client state for garbage');
      assert.equal(p.server.accept(), null, 'nothing new to accept');
      assert.equal(sc.state, 'established');
      assert.equal(p.conn.state, 'established');
      // Replies (Version Negotiation, stateless resets) never amplify the garbage.
      let replyBytes = 0;
      for (const r of attacker.inbox) {
        replyBytes += r.data.length;
        assert.ok(r.data.length <= 1200, `a ${r.data.length}-byte reply`);
      }
      assert.ok(replyBytes < sentBytes / 3, `${replyBytes} bytes of replies`);
      // The connection still carries data.
      const r = transfer(p, 100_000, 100_000);
      assert.ok(r.done);
    });

    it('Initial-looking junk of 1200..1500 bytes creates no connection and gets no answer', () => {
      const p = pairFor(cc);
      establish(p);
      const attacker = withAttacker(p);
      const rng = new SeededRandom(11);
      for (let i = 0; i < 60; i++) {
        const d = initialLookingJunk(rng, 1200 + rng.int(301));
        attacker.outbox.push({ data: d, remote: PAIR_SERVER_ADDRESS });
      }
      p.net.runFor(1_000_000);
      assert.equal(p.server.connectionCount, 1);
      assert.equal(p.server.accept(), null);
      assert.equal(attacker.inbox.length, 0, 'nothing was sent to the attacker');
    });

    it('Initial-looking junk creates no state on a server that demands Retry', () => {
      const p = pairFor(cc, { server: { retry: true } });
      establish(p);
      const attacker = withAttacker(p);
      const rng = new SeededRandom(12);
      for (let i = 0; i < 20; i++) {
        attacker.outbox.push({ data: initialLookingJunk(rng, 1250), remote: PAIR_SERVER_ADDRESS });
      }
      p.net.runFor(1_000_000);
      assert.equal(p.server.connectionCount, 1);
      assert.equal(attacker.inbox.length, 0, 'no Retry for junk');
    });

    it('truncated and corrupted copies of real packets never break the transfer', () => {
      const p = pairFor(cc);
      const rng = new SeededRandom(99);
      const pending: { data: Uint8Array; to: 'client' | 'server' }[] = [];
      let mutated = 0;
      p.net.onSend = (data, from, to) => {
        const toServer = addressKey(to) === addressKey(PAIR_SERVER_ADDRESS);
        const toClient = addressKey(to) === addressKey(PAIR_CLIENT_ADDRESS);
        if ((!toServer && !toClient) || rng.next() >= 0.3) return;
        const m = data.slice();
        switch (rng.int(6)) {
          case 0:
            pending.push({
              data: m.subarray(0, rng.int(m.length)),
              to: toServer ? 'server' : 'client',
            });
            break;
          case 1: {
            const bit = rng.int(m.length * 8);
            m[bit >> 3] = m[bit >> 3]! ^ (1 << (bit & 7));
            pending.push({ data: m, to: toServer ? 'server' : 'client' });
            break;
          }
          case 2:
            m[0] = m[0]! ^ (1 << rng.int(8));
            pending.push({ data: m, to: toServer ? 'server' : 'client' });
            break;
          case 3: {
            const at = rng.int(m.length);
            m.fill(0, at, at + 1 + rng.int(40));
            pending.push({ data: m, to: toServer ? 'server' : 'client' });
            break;
          }
          case 4: {
            const tail = rng.bytes(1 + rng.int(100));
            const out = new Uint8Array(m.length + tail.length);
            out.set(m);
            out.set(tail, m.length);
            pending.push({ data: out, to: toServer ? 'server' : 'client' });
            break;
          }
          default: {
            // Keep the first 9 bytes (header form, CID), randomize the rest.
            m.set(rng.bytes(Math.max(0, m.length - 9)), Math.min(9, m.length));
            pending.push({ data: m, to: toServer ? 'server' : 'client' });
          }
        }
        mutated++;
      };
      // Deliver the mutated copies ahead of the originals, from the genuine source address.
      beforeEachStep(p.net, () => {
        for (const x of pending.splice(0)) {
          if (x.to === 'server')
            p.server.handleDatagram(x.data, PAIR_SERVER_ADDRESS, PAIR_CLIENT_ADDRESS, p.net.now);
          else p.client.handleDatagram(x.data, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
        }
      });
      const r = transfer(p, 300_000, 300_000);
      assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
      assert.ok(mutated > 50, `only ${mutated} mutations`);
      assert.equal(p.server.connectionCount, 1, 'corrupted Initials created no extra state');
      assert.equal(p.conn.state, 'established');
      assert.equal(p.serverConn()!.state, 'established');
    });

    it('short headers for unknown CIDs get a stateless reset smaller than the trigger', () => {
      const resetKey = new Uint8Array(32).fill(5);
      const p = pairFor(cc, { serverEngine: { statelessResetKey: resetKey } });
      establish(p);
      const attacker = withAttacker(p);
      const rng = new SeededRandom(3);
      const sizes = [21, 22, 40, 43, 100, 1200];
      const cids: Uint8Array[] = [];
      for (const size of sizes) {
        const d = rng.bytes(size);
        d[0] = (d[0]! & 0x3f) | 0x40;
        cids.push(d.slice(1, 9));
        attacker.outbox.push({ data: d, remote: PAIR_SERVER_ADDRESS });
      }
      // Long headers for unknown CIDs that are not Initials are dropped silently.
      const hs = forgeLongPacket({
        type: 'handshake',
        dcid: rng.bytes(8),
        scid: rng.bytes(8),
        packetNumber: 0,
        frames: [{ kind: 'ping' }],
        protector: initialProtector('client', rng.bytes(8)),
      });
      attacker.outbox.push({ data: hs, remote: PAIR_SERVER_ADDRESS });
      p.net.runFor(500_000);
      assert.equal(p.server.connectionCount, 1);
      const resetter = new StatelessResetter(defaultProvider, resetKey);
      // 21 bytes is too small to answer with something smaller (RFC 9000 §10.3.3).
      assert.equal(attacker.inbox.length, sizes.length - 1);
      for (let i = 1; i < sizes.length; i++) {
        const reply = attacker.inbox[i - 1]!.data;
        assert.ok(reply.length < sizes[i]!, `reset of ${reply.length} bytes for ${sizes[i]}`);
        assert.ok(reply.length >= 21);
        assert.equal(reply[0]! & 0xc0, 0x40, 'looks like a short header');
        assert.ok(
          bytesEqual(reply.subarray(reply.length - 16), resetter.tokenFor(cids[i]!)),
          'ends with the token of the unknown CID',
        );
      }
    });

    it('a Retry or Version Negotiation after the server answered is ignored', () => {
      const p = pairFor(cc);
      assert.ok(p.net.runUntil(() => p.conn.serverInitialScid !== null, 1_000_000));
      const clientCid = p.conn.localCids.all()[0]!.cid;
      // Valid integrity tag, but too late (RFC 9000 §17.2.5.2).
      const retry = forgeRetry({
        dcid: clientCid,
        scid: new Uint8Array(8).fill(0x77),
        token: new Uint8Array(32).fill(1),
        originalDcid: p.conn.originalDcid,
      });
      // A version list without ours (RFC 9000 §6.2: only before any other packet).
      const vn = encodeVersionNegotiation(clientCid, p.conn.originalDcid, [0x0a0a0a0a], 0x40);
      p.client.handleDatagram(retry, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
      p.client.handleDatagram(vn, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
      establish(p);
      assert.equal(p.conn.getStats().retry, false);
      assert.equal(p.conn.version, 1);
      assert.ok(transfer(p, 10_000, 10_000).done);
    });

    it('packets before their keys are buffered only up to a bound', () => {
      const p = pairFor(cc);
      const rng = new SeededRandom(5);
      const clientCid = p.conn.localCids.all()[0]!.cid;
      const junkKeys = initialProtector('server', rng.bytes(8));
      for (let i = 0; i < 200; i++) {
        const d = forgeLongPacket({
          type: 'handshake',
          dcid: clientCid,
          scid: rng.bytes(8),
          packetNumber: i,
          frames: [{ kind: 'ping' }, { kind: 'padding', length: 100 }],
          protector: junkKeys,
        });
        p.client.handleDatagram(d, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
        assert.ok(p.conn.keys.bufferedCount <= 16, `${p.conn.keys.bufferedCount} buffered`);
      }
      assert.equal(p.conn.keys.bufferedCount, 16);
      establish(p);
      assert.equal(p.conn.keys.bufferedCount, 0);
    });

    it('a lost CONNECTION_CLOSE is sent again when the peer keeps talking', () => {
      const p = pairFor(cc);
      const sc = establish(p);
      let seen: CloseInfo | null = null;
      p.conn.on('close', (i) => (seen = i));
      // Every datagram to the client is lost for 30 ms: the first CONNECTION_CLOSE too.
      p.net.blackhole(p.net.now, p.net.now + 30_000, 'server', 'client');
      sc.close(77, 'going away');
      p.net.runFor(40_000);
      assert.equal(seen, null, 'the first close was lost');
      assert.equal(sc.state, 'closing');
      p.conn.ping();
      p.net.runUntil(() => seen !== null, 5_000_000);
      assert.ok(seen, 'the client learned of the close');
      const info = seen as CloseInfo;
      assert.equal(info.source, 'peer');
      assert.equal(info.errorCode, 77);
      assert.equal(info.reason, 'going away');
    });

    it('a closing endpoint answers a burst of packets with few CONNECTION_CLOSEs', () => {
      const p = pairFor(cc);
      const sc = establish(p);
      sc.close(1, '');
      p.net.blackhole(p.net.now, p.net.now + 1_000_000, 'server', 'client');
      let closes = 0;
      p.net.onSend = (_d, from) => {
        if (addressKey(from) === addressKey(PAIR_SERVER_ADDRESS)) closes++;
      };
      p.net.runFor(1000);
      const before = closes;
      for (let i = 0; i < 64; i++) {
        const d = forgeShortPacket({
          dcid: p.conn.path.dcid.cid,
          packetNumber: p.conn.spaces[PnSpace.Application].nextPn++,
          frames: [{ kind: 'ping' }],
          protector: p.conn.keys.oneRtt!.write,
          keyPhase: p.conn.keys.oneRtt!.sendKeyPhase,
        });
        p.server.handleDatagram(d, PAIR_SERVER_ADDRESS, PAIR_CLIENT_ADDRESS, p.net.now);
        p.net.runFor(100);
      }
      // 64 packets: answered after the 1st, 2nd, 4th, ..., 64th (RFC 9000 §10.2.1 rate limit).
      assert.equal(closes - before, 7);
      assert.equal(sc.state, 'closing');
    });

    it('NEW_CONNECTION_ID floods with rising Retire Prior To: CONNECTION_ID_LIMIT_ERROR', () => {
      const p = pairFor(cc);
      const sc = establish(p);
      p.net.runFor(100_000);
      assert.equal(
        p.conn.peerCids.size,
        MAX_ISSUED_CIDS,
        `the client holds ${MAX_ISSUED_CIDS} server CIDs`,
      );
      // Nothing gets through any more: the client's RETIRE_CONNECTION_IDs stay unacknowledged.
      p.net.blackhole(p.net.now, p.net.now + 60_000_000);
      const rng = new SeededRandom(8);
      let seq = 100;
      let floods = 0;
      while (p.conn.state === 'established' && floods < 40) {
        const frames: Frame[] = [];
        for (let i = 0; i < 5; i++, seq++) {
          frames.push({
            kind: 'new_connection_id',
            sequenceNumber: seq,
            retirePriorTo: seq,
            connectionId: rng.bytes(8),
            statelessResetToken: rng.bytes(16),
          });
        }
        const d = forgeShortPacket({
          dcid: sc.path.dcid.cid,
          packetNumber: sc.spaces[PnSpace.Application].nextPn++,
          frames,
          protector: sc.keys.oneRtt!.write,
          keyPhase: sc.keys.oneRtt!.sendKeyPhase,
        });
        p.client.handleDatagram(d, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
        floods++;
        p.net.runFor(20_000);
        const queued = p.conn.controlFrames.queued('retire_connection_id');
        assert.ok(queued <= 16, `${queued} RETIRE_CONNECTION_ID frames queued`);
      }
      // The first packet retires the 4 CIDs the client held and 4 of its own (8), the second
      // 5 more (13); the third passes twice active_connection_id_limit (16).
      assert.equal(floods, 3);
      assert.equal(p.conn.closeInfo?.source, 'local');
      assert.equal(p.conn.closeInfo.errorCode, TransportError.CONNECTION_ID_LIMIT_ERROR);
    });

    it('a PATH_CHALLENGE flood from many addresses stays bounded and never amplifies', () => {
      const p = pairFor(cc);
      const sc = establish(p);
      const attacker = withAttacker(p);
      const sentTo = new Map<string, number>();
      p.net.onSend = (d, from, to) => {
        if (
          addressKey(from) === addressKey(PAIR_SERVER_ADDRESS) &&
          to.address === ATTACKER_ADDR.address
        ) {
          sentTo.set(addressKey(to), (sentTo.get(addressKey(to)) ?? 0) + d.length);
        }
      };
      const received = new Map<string, number>();
      for (let i = 0; i < 50; i++) {
        const challenges: Frame[] = [];
        for (let j = 0; j < 20; j++) {
          challenges.push({ kind: 'path_challenge', data: new Uint8Array(8).fill(i ^ j) });
        }
        // A copy of a genuine client packet: the attacker sends it from its own addresses.
        const pn = p.conn.spaces[PnSpace.Application].nextPn++;
        const d = forgeShortPacket({
          dcid: p.conn.path.dcid.cid,
          packetNumber: pn,
          frames: challenges,
          protector: p.conn.keys.oneRtt!.write,
          keyPhase: p.conn.keys.oneRtt!.sendKeyPhase,
        });
        // The client "sent" it, so the server's ACK of it is no ACK of an unsent packet (RFC
        // 9000 §13.1 makes that a PROTOCOL_VIOLATION, which the client would rightly raise).
        p.conn.path.recordSent(PnSpace.Application, pn, p.net.now, d.length, false, false, []);
        const from = { address: ATTACKER_ADDR.address, port: 7000 + i };
        received.set(addressKey(from), d.length);
        attacker.outbox.push({ data: d, remote: PAIR_SERVER_ADDRESS, local: from });
      }
      p.net.runFor(50_000);
      const probe = sc.paths.probe;
      assert.ok(probe === null || probe.responses.length <= 4);
      assert.ok(sentTo.size > 0, 'the server answered some challenges');
      for (const [addr, n] of sentTo) {
        assert.ok(n <= 3 * received.get(addr)!, `${n} bytes to ${addr}`);
      }
      assert.equal(sc.state, 'established');
      assert.equal(
        sc.remoteAddress.port,
        PAIR_CLIENT_ADDRESS.port,
        'probing did not move the path',
      );
      assert.ok(transfer(p, 50_000, 50_000).done);
    });

    it('a server at its connection limit refuses further clients with CONNECTION_REFUSED', () => {
      const net = new Network({ seed: 4 });
      const { cert, ca } = testCertificate();
      const server = new Engine({
        maxConnections: 2,
        connection: { congestionControl: cc },
        server: { alpn: ['test'], certificate: cert },
      });
      net.addEndpoint('server', server, PAIR_SERVER_ADDRESS);
      const closes: (CloseInfo | null)[] = [];
      const conns: Connection[] = [];
      for (let i = 0; i < 5; i++) {
        const client = new Engine();
        const local = { address: `10.0.1.${i + 1}`, port: 5000 };
        net.addEndpoint(`client${i}`, client, local);
        const c = client.connect(
          PAIR_SERVER_ADDRESS,
          { alpn: ['test'], serverName: 'localhost', ca: [ca], local, congestionControl: cc },
          net.now,
        );
        closes.push(null);
        c.on('close', (info) => (closes[i] = info));
        conns.push(c);
      }
      net.runUntil(
        () => conns.every((c, i) => c.handshakeConfirmed || closes[i] !== null),
        10_000_000,
      );
      const ok = conns.filter((c) => c.handshakeConfirmed).length;
      const refused = closes.filter(
        (c) => c?.source === 'peer' && c.errorCode === TransportError.CONNECTION_REFUSED,
      ).length;
      assert.equal(ok, 2);
      assert.equal(refused, 3);
      assert.equal(server.connectionCount, 2);
    });
  });
}

describe("robustness: the server's first Initial, corrupted", () => {
  it('a client adopts the SCID only of an Initial that opens (RFC 9000 §7.2)', () => {
    const p = createEnginePair();
    let corrupted = false;
    const handle = p.client.handleDatagram.bind(p.client);
    p.client.handleDatagram = (data, local, remote, now) => {
      if (!corrupted) {
        // A copy of the server's first datagram with a bit flipped in its SCID (the header is
        // authenticated: the packet fails to open), then the real one.
        corrupted = true;
        const bad = data.slice();
        const scidOffset = 6 + bad[5]! + 1;
        bad[scidOffset]! ^= 0x01;
        handle(bad, local, remote, now);
      }
      handle(data, local, remote, now);
    };
    assert.ok(
      p.net.runUntil(() => p.conn.handshakeConfirmed, 5_000_000),
      'handshake completes',
    );
    assert.ok(corrupted);
  });
});
