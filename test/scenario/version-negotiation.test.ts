/**
 * Version negotiation over the in-memory network. A client acts on a Version Negotiation packet
 * only when it answers its own first Initial (RFC 9000 §6.2, §17.2.1): the CIDs echoed, our
 * version not listed, nothing else from the server processed before; spoofed ones are ignored
 * and the connection completes. A usable one starts a new attempt (RFC 9368 §2.1); a server may
 * switch a v1 first flight to v2 (§2.3, RFC 9369 §4); version_information guards both against
 * downgrades (RFC 9368 §4).
 */
import assert from 'node:assert/strict';
import {
  encodeVersionNegotiation,
  parseInvariantHeader,
  parseLongHeader,
} from '../../src/wire/header.js';
import { forgeLongPacket, initialProtector } from '../../src/testing/forge.js';
import type { SansIoEndpoint } from '../../src/testing/network.js';
import { PacketType } from '../../src/wire/version.js';
import { TicketKeys } from '../../src/tls/ticket-keys.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { TransportError } from '../../src/wire/errors.js';
import type { CloseInfo } from '../../src/conn/connection.js';
import type { SocketAddress } from '../../src/util/address.js';
import type { ConnectOptions } from '../../src/engine/engine.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
  type EnginePair,
} from '../../src/testing/pair.js';
import { transfer } from './transfer-kit.js';

function clientScid(p: EnginePair): Uint8Array {
  return p.conn.localParams.initialSourceConnectionId!;
}

/** Delivers `vn` to the client as if the server had sent it, before the server's answer. */
function inject(p: EnginePair, vn: Uint8Array): void {
  p.client.handleDatagram(vn, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
}

describe('scenario: Version Negotiation checked by the client (RFC 9000 §6.2)', () => {
  it('a VN whose SCID is not the DCID we sent is ignored, and the connection completes', () => {
    const p = createEnginePair({ seed: 3 });
    const wrongScid = p.conn.originalDcid.slice();
    wrongScid[0]! ^= 0xff;
    inject(p, encodeVersionNegotiation(clientScid(p), wrongScid, [0x0a0a0a0a], 0x40));
    assert.equal(p.conn.state, 'handshake', 'the connection is still going');
    const r = transfer(p, 1000, 20_000, 10_000_000);
    assert.ok(r.done, 'and completes');
    assert.equal(r.down.mismatch, -1);
    assert.equal(p.conn.version, QUIC_V1);
  });

  it('a VN with an empty or truncated SCID is ignored too', () => {
    const p = createEnginePair({ seed: 4 });
    inject(p, encodeVersionNegotiation(clientScid(p), new Uint8Array(0), [0x0a0a0a0a], 0x40));
    inject(
      p,
      encodeVersionNegotiation(clientScid(p), p.conn.originalDcid.subarray(1), [0x0a0a0a0a], 0),
    );
    assert.ok(transfer(p, 100, 100, 10_000_000).done);
  });

  it('a VN that lists the version in use is ignored', () => {
    const p = createEnginePair({ seed: 5 });
    inject(
      p,
      encodeVersionNegotiation(clientScid(p), p.conn.originalDcid, [QUIC_V2, QUIC_V1], 0x40),
    );
    assert.equal(p.conn.state, 'handshake');
    assert.ok(transfer(p, 100, 100, 10_000_000).done);
    assert.equal(p.conn.version, QUIC_V1);
  });

  it('a VN that echoes our CIDs and lists no version we speak ends the connection', () => {
    const p = createEnginePair({ seed: 6 });
    let reason = '';
    p.conn.on('close', (info) => (reason = info.source));
    inject(p, encodeVersionNegotiation(clientScid(p), p.conn.originalDcid, [0x0a0a0a0a], 0x40));
    assert.equal(p.conn.state, 'closed');
    assert.equal(reason, 'version_negotiation');
  });
});

/** The long-header versions of the datagrams each side sent, in order (0: Version Negotiation). */
function watchVersions(p: EnginePair): { client: number[]; server: number[] } {
  const seen = { client: [] as number[], server: [] as number[] };
  p.net.onSend = (d: Uint8Array, from: SocketAddress) => {
    const h = (d[0]! & 0x80) !== 0 ? parseInvariantHeader(d, 0) : null;
    if (h === null) return;
    (from.port === p.serverAddress.port ? seen.server : seen.client).push(h.version);
  };
  return seen;
}

describe('scenario: compatible version negotiation (RFC 9368 §2.3, RFC 9369 §4)', () => {
  it('a v1 first flight from a client offering v2 ends on v2 with a server preferring v2', () => {
    const p = createEnginePair({ seed: 11, server: { versions: [QUIC_V2, QUIC_V1] } });
    const seen = watchVersions(p);
    const r = transfer(p, 5000, 200_000, 20_000_000);
    assert.ok(r.done, 'the transfer completes');
    assert.equal(r.down.mismatch, -1);
    assert.equal(seen.client[0], QUIC_V1, 'the first flight is v1');
    assert.equal(seen.server[0], QUIC_V2, 'the server answers in v2 at once');
    assert.ok(!seen.server.includes(QUIC_V1), 'the server never sends v1');
    assert.equal(p.conn.version, QUIC_V2);
    assert.equal(p.serverConn()!.version, QUIC_V2);
    assert.equal(p.conn.getStats().version, QUIC_V2);
    // Both sides said so in version_information (RFC 9368 §3), with a grease version.
    const serverInfo = p.conn.peerParams!.versionInformation!;
    assert.equal(serverInfo.chosenVersion, QUIC_V2);
    assert.ok(serverInfo.availableVersions.some((v) => (v & 0x0f0f0f0f) === 0x0a0a0a0a));
    const clientInfo = p.serverConn()!.peerParams!.versionInformation!;
    assert.equal(clientInfo.chosenVersion, QUIC_V1);
    assert.deepEqual(clientInfo.availableVersions.slice(0, 2), [QUIC_V1, QUIC_V2]);
  });

  it('a server preferring v1 stays on v1; so does one whose client offers only v1', () => {
    const a = createEnginePair({ seed: 12 });
    assert.ok(a.handshake());
    assert.equal(a.conn.version, QUIC_V1);
    assert.equal(a.serverConn()!.version, QUIC_V1);
    const b = createEnginePair({
      seed: 13,
      server: { versions: [QUIC_V2, QUIC_V1] },
      client: { versions: [QUIC_V1] },
    });
    const seen = watchVersions(b);
    assert.ok(b.handshake());
    assert.equal(b.conn.version, QUIC_V1);
    assert.ok(!seen.server.includes(QUIC_V2));
  });

  it('under loss of the first flights both ends agree on the version and complete', () => {
    // A server whose first packet of the client lacks the ClientHello's start (lost) stays on
    // the client's version; otherwise it switches and the client retransmits in v2.
    const versions = new Set<number>();
    for (let seed = 40; seed < 46; seed++) {
      const p = createEnginePair({
        seed,
        server: { versions: [QUIC_V2, QUIC_V1] },
        conditions: { delay: 10_000, loss: 0.25 },
      });
      const r = transfer(p, 20_000, 100_000, 60_000_000);
      assert.ok(r.done, `seed ${seed}`);
      assert.equal(r.down.mismatch, -1);
      assert.equal(p.conn.version, p.serverConn()!.version, `seed ${seed}`);
      versions.add(p.conn.version);
    }
    assert.ok(versions.has(QUIC_V2));
  });
});

describe('scenario: compatible negotiation with Retry and 0-RTT (RFC 9369 §4.1)', () => {
  it('the Retry is in the original version; the connection then switches to v2', () => {
    const p = createEnginePair({ seed: 15, server: { versions: [QUIC_V2, QUIC_V1], retry: true } });
    const seen = watchVersions(p);
    assert.ok(transfer(p, 1000, 10_000, 10_000_000).done);
    assert.equal(seen.server[0], QUIC_V1, 'the Retry');
    assert.equal(
      seen.client.filter((v) => v === QUIC_V1).length >= 2,
      true,
      'Initial, then Initial with the token',
    );
    assert.equal(p.conn.getStats().retry, true);
    assert.equal(p.conn.version, QUIC_V2);
  });

  /** A session ticket from a connection to a server accepting `versions` (its version). */
  function ticketFrom(ticketKeys: TicketKeys, versions: number[]): Uint8Array {
    const first = createEnginePair({ seed: 16, server: { ticketKeys, earlyData: true, versions } });
    let ticket: Uint8Array | null = null;
    first.conn.on('sessionTicket', (t) => (ticket = t));
    assert.ok(
      first.runUntil(() => ticket !== null, 5_000_000),
      'a ticket',
    );
    return ticket!;
  }

  /** Resumes with `ticket`, 3 bytes in 0-RTT; what each side saw. */
  function resume(
    ticketKeys: TicketKeys,
    ticket: Uint8Array,
    client: Partial<ConnectOptions> = {},
  ): { p: EnginePair; zeroRtt: number[]; first: number } {
    const p = createEnginePair({
      seed: 17,
      server: { ticketKeys, earlyData: true, versions: [QUIC_V2, QUIC_V1] },
      client: { session: ticket, earlyData: true, ...client },
    });
    const zeroRtt: number[] = [];
    let first = -1;
    p.net.onSend = (d, from) => {
      if (from.port !== PAIR_CLIENT_ADDRESS.port) return;
      for (const span of splitLong(d)) {
        if (first === -1) first = span.version;
        if (span.type === PacketType.ZeroRtt) zeroRtt.push(span.version);
      }
    };
    // Without a ticket offered, no remembered limits: the stream opens after the handshake.
    let stream = p.conn.openStream(true);
    if (stream === null) {
      assert.ok(p.handshake());
      stream = p.conn.openStream(true)!;
    }
    stream.write(new Uint8Array([7, 8, 9]), true);
    let got: number[] = [];
    const ok = p.runUntil(() => {
      const st = p.serverConn()?.getStream(0);
      for (let r = st?.read(); r; r = st!.read()) got = [...got, ...r.data];
      return got.length === 3 && p.conn.handshakeComplete;
    }, 5_000_000);
    assert.ok(ok);
    assert.deepEqual(got, [7, 8, 9], 'the data arrives either way');
    return { p, zeroRtt, first };
  }

  it('a ticket of a v1 connection does not resume one the server switched to v2 (RFC 9369 §5)', () => {
    const ticketKeys = new TicketKeys(defaultProvider);
    const { p, zeroRtt, first } = resume(ticketKeys, ticketFrom(ticketKeys, [QUIC_V1]));
    assert.equal(first, QUIC_V1, 'the first flight in the ticket version');
    assert.ok(zeroRtt.length > 0 && zeroRtt.every((v) => v === QUIC_V1), `${zeroRtt}`);
    assert.equal(p.conn.version, QUIC_V2);
    assert.equal(p.conn.getStats().resumed, false, 'a full handshake');
    assert.equal(p.conn.getStats().earlyDataAccepted, false);
  });

  it('a ticket of a v2 connection: the first flight goes in v2 and resumes with 0-RTT', () => {
    const ticketKeys = new TicketKeys(defaultProvider);
    const ticket = ticketFrom(ticketKeys, [QUIC_V2, QUIC_V1]);
    const { p, zeroRtt, first } = resume(ticketKeys, ticket);
    assert.equal(first, QUIC_V2);
    assert.ok(zeroRtt.length > 0 && zeroRtt.every((v) => v === QUIC_V2), `${zeroRtt}`);
    assert.equal(p.conn.version, QUIC_V2);
    assert.equal(p.conn.getStats().resumed, true);
    assert.equal(p.conn.getStats().earlyDataAccepted, true);
    assert.equal(p.serverConn()!.getStats().earlyDataAccepted, true);
    // Asked for a v1 first flight, the client does not offer the v2 ticket at all.
    const v1 = resume(ticketKeys, ticket, { version: QUIC_V1 });
    assert.equal(v1.first, QUIC_V1);
    assert.deepEqual(v1.zeroRtt, []);
    assert.equal(v1.p.conn.getStats().resumed, false);
  });
});

/** The version and type of each long-header packet of a datagram. */
function splitLong(d: Uint8Array): { version: number; type: number }[] {
  const out: { version: number; type: number }[] = [];
  let offset = 0;
  while (offset < d.length && (d[offset]! & 0x80) !== 0) {
    const h = parseLongHeader(d, offset);
    if ('drop' in h) break;
    out.push({ version: h.version, type: h.type });
    if (h.type === PacketType.Retry) break;
    offset = h.end;
  }
  return out;
}

describe('scenario: incompatible version negotiation (RFC 9368 §2.1)', () => {
  it('a v1 client facing a v2-only server tries again in v2 and completes', () => {
    const p = createEnginePair({ seed: 21, server: { versions: [QUIC_V2] } });
    const seen = watchVersions(p);
    const r = transfer(p, 3000, 50_000, 20_000_000);
    assert.ok(r.done, 'the transfer completes');
    assert.equal(r.down.mismatch, -1);
    assert.equal(seen.client[0], QUIC_V1);
    assert.equal(seen.server[0], 0, 'the server answered with Version Negotiation');
    assert.ok(seen.client.includes(QUIC_V2), 'the new attempt is in v2');
    assert.equal(p.conn.version, QUIC_V2);
    assert.equal(p.conn.versionNegotiation.afterVn, QUIC_V2);
  });

  it('a v2 client facing a v1-only server tries again in v1', () => {
    const p = createEnginePair({
      seed: 22,
      server: { versions: [QUIC_V1] },
      client: { version: QUIC_V2 },
    });
    assert.ok(transfer(p, 100, 1000, 20_000_000).done);
    assert.equal(p.conn.version, QUIC_V1);
  });

  it('a VN without a common version ends the attempt with a clear reason', () => {
    const p = createEnginePair({
      seed: 23,
      server: { versions: [QUIC_V2] },
      client: { versions: [QUIC_V1] },
    });
    let info: CloseInfo | null = null;
    p.conn.on('close', (i) => (info = i));
    assert.ok(p.runUntil(() => info !== null, 5_000_000));
    assert.equal(info!.source, 'version_negotiation');
    assert.equal(info!.errorCode, TransportError.VERSION_NEGOTIATION_ERROR);
    assert.match(info!.reason, /no version we speak \(0x6b3343cf/);
    assert.equal(p.serverConn(), null);
  });

  it('a second VN, after the new attempt, is ignored', () => {
    const p = createEnginePair({ seed: 24, server: { versions: [QUIC_V2] } });
    assert.ok(p.runUntil(() => p.conn.versionNegotiation.afterVn !== null, 1_000_000));
    inject(p, encodeVersionNegotiation(clientScid(p), p.conn.originalDcid, [QUIC_V1], 0x40));
    assert.equal(p.conn.state, 'handshake');
    assert.ok(transfer(p, 100, 100, 10_000_000).done);
    assert.equal(p.conn.version, QUIC_V2);
  });
});

describe('scenario: downgrade protection (RFC 9368 §4)', () => {
  it('a forged VN that steers a v2 client to v1 is caught by the server version_information', () => {
    // The client prefers v2; the server speaks both but prefers v1, so it keeps a v1 attempt on
    // v1: only version_information shows the client that v2 was possible.
    const p = createEnginePair({
      seed: 31,
      server: { versions: [QUIC_V1, QUIC_V2] },
      client: { version: QUIC_V2, versions: [QUIC_V2, QUIC_V1] },
    });
    inject(p, encodeVersionNegotiation(clientScid(p), p.conn.originalDcid, [QUIC_V1], 0x40));
    assert.equal(p.conn.versionNegotiation.afterVn, QUIC_V1, 'the client followed the VN');
    let info: CloseInfo | null = null;
    p.conn.on('closing', (i) => (info = i));
    p.conn.on('close', (i) => (info ??= i));
    assert.ok(p.runUntil(() => info !== null, 5_000_000));
    assert.equal(info!.errorCode, TransportError.VERSION_NEGOTIATION_ERROR);
    assert.equal(info!.source, 'local');
    assert.equal(p.conn.handshakeComplete, false, 'the handshake did not complete');
  });

  it("the same forged VN gets undone by a server that follows the client's preference", () => {
    const p = createEnginePair({
      seed: 34,
      client: { version: QUIC_V2, versions: [QUIC_V2, QUIC_V1] },
    });
    inject(p, encodeVersionNegotiation(clientScid(p), p.conn.originalDcid, [QUIC_V1], 0x40));
    assert.equal(p.conn.versionNegotiation.afterVn, QUIC_V1);
    assert.ok(transfer(p, 100, 100, 10_000_000).done);
    assert.equal(p.conn.version, QUIC_V2, 'switched back by compatible negotiation');
  });

  it('a genuine VN to a version the server fully supports passes the same check', () => {
    const p = createEnginePair({
      seed: 32,
      server: { versions: [QUIC_V1] },
      client: { version: QUIC_V2, versions: [QUIC_V2, QUIC_V1] },
    });
    assert.ok(transfer(p, 100, 100, 10_000_000).done);
    assert.equal(p.conn.version, QUIC_V1);
  });

  it('an on-path rewrite of the first flight from v2 to v1 is VERSION_NEGOTIATION_ERROR', () => {
    // Initial keys derive from public values (RFC 9001 §5.2), so an on-path attacker can open
    // the client's v2 Initials and seal them again as v1 - the header says v1, but the
    // authenticated version_information still says v2 (RFC 9368 §4).
    let rewritten = 0;
    const downgrade = (d: Uint8Array): Uint8Array => {
      const h = parseLongHeader(d, 0);
      if ('drop' in h || h.version !== QUIC_V2 || h.type !== PacketType.Initial) return d;
      const keys = initialProtector('client', h.dcid, QUIC_V2);
      const packet = d.slice(0, h.end);
      const pnLength = keys.removeHeaderProtection(packet, 0, h.pnOffset, h.end);
      const pn = keys.truncatedPn;
      const n = keys.openPayload(packet, 0, h.pnOffset, pnLength, pn, h.end);
      assert.ok(n > 0);
      const payload = packet.subarray(h.pnOffset + pnLength, h.pnOffset + pnLength + n);
      rewritten++;
      return forgeLongPacket({
        type: 'initial',
        version: QUIC_V1,
        dcid: h.dcid,
        scid: h.scid,
        token: h.token,
        packetNumber: pn,
        frames: [],
        rawPayload: payload,
        protector: initialProtector('client', h.dcid, QUIC_V1),
        minSize: 1200,
      });
    };
    const p = createEnginePair({
      seed: 33,
      client: { version: QUIC_V2 },
      endpoint: (engine, role): SansIoEndpoint => ({
        handleDatagram: (d, local, remote, now) =>
          engine.handleDatagram(role === 'server' ? downgrade(d) : d, local, remote, now),
        pollTransmit: (now) => engine.pollTransmit(now),
        nextTimeout: () => engine.nextTimeout(),
        handleTimeout: (now) => engine.handleTimeout(now),
      }),
    });
    let serverClose: CloseInfo | null = null;
    assert.ok(
      p.runUntil(() => {
        const c = p.serverConn();
        if (c !== null && serverClose === null) serverClose = c.closeInfo;
        return serverClose !== null;
      }, 5_000_000),
    );
    assert.ok(rewritten > 0);
    assert.equal(serverClose!.errorCode, TransportError.VERSION_NEGOTIATION_ERROR);
    assert.match(serverClose!.reason, /client chose 0x6b3343cf in a 0x1 first flight/);
    assert.equal(p.conn.handshakeComplete, false);
  });
});
