/**
 * The version negotiation module (RFC 9368 with v1 and v2, RFC 9369): the client's versions from
 * its options, the server's compatible choice, the answer to Version Negotiation, and the
 * downgrade checks on the peer's version_information.
 */
import assert from 'node:assert/strict';
import {
  VersionNegotiation,
  areCompatible,
  chooseServerVersion,
  clientVersionInformation,
  clientVersions,
  selectVersion,
} from '../../src/conn/version-negotiation.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import {
  defaultTransportParameters,
  encodeTransportParameters,
} from '../../src/wire/transport-params.js';
import { QUIC_V1, QUIC_V2, isReservedVersion } from '../../src/wire/version.js';

const GREASE = 0x1a2a3a4a;

function vnError(fn: () => void, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QuicError);
    assert.equal(e.code, TransportError.VERSION_NEGOTIATION_ERROR);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('conn: version negotiation', () => {
  it('v1 and v2 are compatible both ways, nothing else is', () => {
    assert.ok(areCompatible(QUIC_V1, QUIC_V2));
    assert.ok(areCompatible(QUIC_V2, QUIC_V1));
    assert.ok(!areCompatible(QUIC_V1, GREASE));
    assert.ok(!areCompatible(0xff00001d, QUIC_V1));
  });

  it('selects by our preference, never a reserved or unknown version', () => {
    assert.equal(selectVersion([QUIC_V2, QUIC_V1], [QUIC_V1, QUIC_V2]), QUIC_V2);
    assert.equal(selectVersion([QUIC_V1, QUIC_V2], [QUIC_V2, GREASE]), QUIC_V2);
    assert.equal(selectVersion([GREASE, QUIC_V1], [GREASE]), null);
    assert.equal(selectVersion([QUIC_V1], [QUIC_V2]), null);
  });

  it('a client starts in v1 when it accepts it, and lists its preference', () => {
    assert.deepEqual(clientVersions(undefined, undefined), {
      first: QUIC_V1,
      preferences: [QUIC_V1, QUIC_V2],
    });
    assert.deepEqual(clientVersions(QUIC_V2, undefined), {
      first: QUIC_V2,
      preferences: [QUIC_V2, QUIC_V1],
    });
    assert.deepEqual(clientVersions(undefined, [QUIC_V2, QUIC_V1]), {
      first: QUIC_V1,
      preferences: [QUIC_V2, QUIC_V1],
    });
    assert.deepEqual(clientVersions(undefined, [QUIC_V2]), {
      first: QUIC_V2,
      preferences: [QUIC_V2],
    });
    assert.throws(() => clientVersions(QUIC_V1, [QUIC_V2]), RangeError);
    assert.throws(() => clientVersions(undefined, []), RangeError);
    assert.throws(() => clientVersions(undefined, [QUIC_V1, QUIC_V1]), RangeError);
    assert.throws(() => clientVersions(undefined, [GREASE]), RangeError);
  });

  it('the server picks by its own preference among what the client offers', () => {
    const offer = { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] };
    assert.equal(chooseServerVersion([QUIC_V2, QUIC_V1], true, QUIC_V1, offer), QUIC_V2);
    assert.equal(chooseServerVersion([QUIC_V1, QUIC_V2], true, QUIC_V1, offer), QUIC_V1);
    const onlyV1 = { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1] };
    assert.equal(chooseServerVersion([QUIC_V2, QUIC_V1], true, QUIC_V1, onlyV1), QUIC_V1);
    assert.equal(chooseServerVersion([QUIC_V2, QUIC_V1], true, QUIC_V1, null), QUIC_V1);
    const v2only = { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, GREASE, QUIC_V2] };
    assert.equal(chooseServerVersion([QUIC_V1], true, QUIC_V1, v2only), QUIC_V1);
  });

  it("without a preference of its own, the server follows the client's", () => {
    const both = [QUIC_V1, QUIC_V2];
    const prefersV2 = { chosenVersion: QUIC_V1, availableVersions: [GREASE, QUIC_V2, QUIC_V1] };
    assert.equal(chooseServerVersion(both, false, QUIC_V1, prefersV2), QUIC_V2);
    const prefersV1 = { chosenVersion: QUIC_V2, availableVersions: [QUIC_V1, QUIC_V2] };
    assert.equal(chooseServerVersion(both, false, QUIC_V2, prefersV1), QUIC_V1);
    const v2First = { chosenVersion: QUIC_V2, availableVersions: [QUIC_V2, QUIC_V1] };
    assert.equal(chooseServerVersion(both, false, QUIC_V2, v2First), QUIC_V2);
    assert.equal(chooseServerVersion([QUIC_V1], false, QUIC_V1, prefersV2), QUIC_V1);
  });

  it('reads the client version_information from raw transport parameters, tolerantly', () => {
    const p = defaultTransportParameters();
    p.initialSourceConnectionId = new Uint8Array(8);
    p.versionInformation = { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] };
    const bytes = encodeTransportParameters(p, 'client');
    assert.deepEqual(clientVersionInformation(bytes), p.versionInformation);
    assert.equal(clientVersionInformation(null), null);
    assert.equal(clientVersionInformation(bytes.subarray(0, bytes.length - 1)), null);
  });

  it('lists its preferences and one grease version', () => {
    const vn = new VersionNegotiation(true, QUIC_V1, [QUIC_V1, QUIC_V2], 0x12345678);
    const info = vn.localInfo(QUIC_V1);
    assert.equal(info.chosenVersion, QUIC_V1);
    assert.deepEqual(info.availableVersions.slice(0, 2), [QUIC_V1, QUIC_V2]);
    assert.equal(info.availableVersions.length, 3);
    assert.ok(isReservedVersion(info.availableVersions[2]!));
  });

  describe('a client answering Version Negotiation (RFC 9368 §2.1, §4)', () => {
    it('tries again with its preferred common version, once', () => {
      const vn = new VersionNegotiation(true, QUIC_V1, [QUIC_V1, QUIC_V2], 0);
      assert.deepEqual(vn.onVersionNegotiation([GREASE, QUIC_V2]), {
        kind: 'retry',
        version: QUIC_V2,
      });
      assert.equal(vn.afterVn, QUIC_V2);
      assert.deepEqual(vn.onVersionNegotiation([QUIC_V2]), { kind: 'ignore' });
    });

    it('ignores one listing its original version; fails when none is common', () => {
      const vn = new VersionNegotiation(true, QUIC_V1, [QUIC_V1, QUIC_V2], 0);
      assert.deepEqual(vn.onVersionNegotiation([QUIC_V2, QUIC_V1]), { kind: 'ignore' });
      const only = new VersionNegotiation(true, QUIC_V1, [QUIC_V1], 0);
      const out = only.onVersionNegotiation([QUIC_V2, GREASE]);
      assert.equal(out.kind, 'fail');
      assert.match((out as { reason: string }).reason, /0x6b3343cf, 0x1a2a3a4a/);
      assert.equal(only.afterVn, null);
    });
  });

  describe("checks on the server's version_information (client)", () => {
    it('without a VN: absent is fine; the chosen version must be ours and in use', () => {
      const vn = new VersionNegotiation(true, QUIC_V1, [QUIC_V1, QUIC_V2], 0);
      vn.checkPeer(undefined, QUIC_V1);
      vn.checkPeer({ chosenVersion: QUIC_V2, availableVersions: [] }, QUIC_V2);
      vnError(
        () => vn.checkPeer({ chosenVersion: QUIC_V2, availableVersions: [QUIC_V2] }, QUIC_V1),
        /speaks 0x1/,
      );
      const only = new VersionNegotiation(true, QUIC_V1, [QUIC_V1], 0);
      vnError(
        () => only.checkPeer({ chosenVersion: QUIC_V2, availableVersions: [QUIC_V2] }, QUIC_V2),
        /not offered/,
      );
    });

    it('after a VN: the server must confirm we would have tried the same version', () => {
      const vn = new VersionNegotiation(true, QUIC_V2, [QUIC_V2, QUIC_V1], 0);
      vn.onVersionNegotiation([QUIC_V1]);
      // The server supports v2 too: the VN that sent us to v1 was forged.
      vnError(
        () =>
          vn.checkPeer({ chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] }, QUIC_V1),
        /would have led to 0x6b3343cf/,
      );
      vn.checkPeer({ chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, GREASE] }, QUIC_V1);
      vnError(
        () => vn.checkPeer({ chosenVersion: QUIC_V1, availableVersions: [] }, QUIC_V1),
        /no available versions/,
      );
      // RFC 9368 §8: a v1 server without version_information counts as v1 only.
      vn.checkPeer(undefined, QUIC_V1);
    });

    it('after a VN to v2, a missing version_information is an error', () => {
      const vn = new VersionNegotiation(true, QUIC_V1, [QUIC_V1, QUIC_V2], 0);
      vn.onVersionNegotiation([QUIC_V2]);
      vnError(() => vn.checkPeer(undefined, QUIC_V2), /no version_information/);
    });
  });

  it("a server checks the client's chosen version against its first flight", () => {
    const vn = new VersionNegotiation(false, QUIC_V1, [QUIC_V2, QUIC_V1], 0);
    vn.checkPeer(undefined, QUIC_V2);
    vn.checkPeer({ chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, QUIC_V2] }, QUIC_V2);
    vnError(
      () => vn.checkPeer({ chosenVersion: QUIC_V2, availableVersions: [QUIC_V2] }, QUIC_V2),
      /client chose 0x6b3343cf in a 0x1 first flight/,
    );
  });
});
