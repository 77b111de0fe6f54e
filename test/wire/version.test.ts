import assert from 'node:assert/strict';
import { loadVector } from '../vectors.js';
import {
  PacketType,
  QUIC_V1,
  QUIC_V2,
  greaseVersion,
  isReservedVersion,
  isSupportedVersion,
  longTypeBits,
  packetTypeFromBits,
  packetTypeName,
} from '../../src/wire/version.js';

describe('wire/version', () => {
  it('knows v1 and v2 and nothing else', () => {
    assert.equal(QUIC_V1, 1);
    assert.equal(QUIC_V2, 0x6b3343cf);
    assert.ok(isSupportedVersion(QUIC_V1));
    assert.ok(isSupportedVersion(QUIC_V2));
    assert.ok(!isSupportedVersion(0));
    assert.ok(!isSupportedVersion(0xff00001d)); // draft-29
    assert.ok(!isSupportedVersion(0x1a2a3a4a));
  });

  it('recognises reserved 0x?a?a?a?a versions (RFC 9000 §15)', () => {
    for (const v of [0x0a0a0a0a, 0x1a2a3a4a, 0xfafafafa, 0x5a6a7a8a])
      assert.ok(isReservedVersion(v));
    for (const v of [QUIC_V1, QUIC_V2, 0, 0x0a0a0a0b, 0x0a0a0a1b, 0xabababab]) {
      assert.ok(!isReservedVersion(v), v.toString(16));
    }
    for (const r of [0, 0xffffffff, 0x12345678, 0xdeadbeef]) {
      const g = greaseVersion(r);
      assert.ok(isReservedVersion(g));
      assert.ok(g >= 0 && g <= 0xffffffff);
      assert.equal((g & 0xf0f0f0f0) >>> 0, (r & 0xf0f0f0f0) >>> 0);
    }
  });

  it('maps long packet types per version (RFC 9000 Table 5, RFC 9369 §3.2)', () => {
    const v1 = loadVector('quic-v1-initial.json').long_header_types;
    const v2 = loadVector('quic-v2-initial.json').long_header_types;
    const bits = (s: string): number => parseInt(s.slice(2), 2);
    const cases: [PacketType, string][] = [
      [PacketType.Initial, 'initial'],
      [PacketType.ZeroRtt, '0rtt'],
      [PacketType.Handshake, 'handshake'],
      [PacketType.Retry, 'retry'],
    ];
    for (const [type, name] of cases) {
      assert.equal(longTypeBits(QUIC_V1, type), bits(v1[name]), `v1 ${name}`);
      assert.equal(longTypeBits(QUIC_V2, type), bits(v2[name]), `v2 ${name}`);
      assert.equal(packetTypeFromBits(QUIC_V1, bits(v1[name])), type);
      assert.equal(packetTypeFromBits(QUIC_V2, bits(v2[name])), type);
    }
    assert.deepEqual(
      [0, 1, 2, 3].map((b) => packetTypeFromBits(QUIC_V2, b)),
      [PacketType.Retry, PacketType.Initial, PacketType.ZeroRtt, PacketType.Handshake],
    );
  });

  it('rejects misuse of the type mapping', () => {
    assert.throws(() => longTypeBits(QUIC_V1, PacketType.OneRtt), RangeError);
    assert.throws(() => longTypeBits(0x0a0a0a0a, PacketType.Initial), RangeError);
    assert.throws(() => packetTypeFromBits(7, 0), RangeError);
  });

  it('names packet types as qlog does', () => {
    assert.equal(packetTypeName(PacketType.Initial), 'initial');
    assert.equal(packetTypeName(PacketType.ZeroRtt), '0RTT');
    assert.equal(packetTypeName(PacketType.OneRtt), '1RTT');
    assert.equal(packetTypeName(PacketType.VersionNegotiation), 'version_negotiation');
  });
});
