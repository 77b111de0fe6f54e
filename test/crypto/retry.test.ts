import assert from 'node:assert/strict';
import { hkdfExpandLabel } from '../../src/crypto/hkdf.js';
import { versionCryptoParams } from '../../src/crypto/quic-versions.js';
import { retryIntegrityTag, verifyRetryIntegrity } from '../../src/crypto/retry.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { loadVector } from '../vectors.js';
import { PROVIDERS } from './providers.js';

const FILES = ['quic-v1-initial.json', 'quic-v2-initial.json'];

describe('crypto/retry', () => {
  for (const file of FILES) {
    const v = loadVector(file);
    const version = parseInt(v.quic_version, 16);
    const r = v.retry;
    const odcid = fromHex(r.original_dcid);
    const packet = fromHex(r.packet);

    it(`${file}: the Retry key and nonce come from the published secret`, () => {
      const p = PROVIDERS[0]!;
      const secret = fromHex(r.retry_integrity_secret);
      const params = versionCryptoParams(version);
      const empty = new Uint8Array(0);
      // RFC 9001 §5.8 / RFC 9369 §3.3.3: key and nonce are Expand-Label of a fixed secret,
      // with the version's "quic key"/"quic iv" labels.
      const key = hkdfExpandLabel(p, 'sha256', secret, params.keyLabel, empty, 16);
      const nonce = hkdfExpandLabel(p, 'sha256', secret, params.ivLabel, empty, 12);
      assert.equal(toHex(key), r.retry_integrity_key);
      assert.equal(toHex(nonce), r.retry_integrity_nonce);
      assert.equal(toHex(params.retryKey), r.retry_integrity_key);
      assert.equal(toHex(params.retryNonce), r.retry_integrity_nonce);
    });

    for (const p of PROVIDERS) {
      describe(`${file} with the ${p.name} provider`, () => {
        it('computes the published tag', () => {
          const tag = retryIntegrityTag(p, version, odcid, packet.subarray(0, packet.length - 16));
          assert.equal(toHex(tag), r.integrity_tag_derived);
          assert.equal(toHex(packet.subarray(packet.length - 16)), r.integrity_tag_derived);
        });

        it('verifies the published packet', () => {
          assert.equal(verifyRetryIntegrity(p, version, odcid, packet), true);
        });

        it('rejects a modified packet, tag or original DCID', () => {
          for (const i of [0, 10, packet.length - 17, packet.length - 1]) {
            const bad = packet.slice();
            bad[i]! ^= 0x80;
            assert.equal(verifyRetryIntegrity(p, version, odcid, bad), false, `byte ${i}`);
          }
          const otherOdcid = odcid.slice();
          otherOdcid[0]! ^= 1;
          assert.equal(verifyRetryIntegrity(p, version, otherOdcid, packet), false);
          assert.equal(verifyRetryIntegrity(p, version, odcid.subarray(1), packet), false);
        });

        it('returns false instead of throwing on unusable input', () => {
          assert.equal(verifyRetryIntegrity(p, version, odcid, packet.subarray(0, 15)), false);
          assert.equal(verifyRetryIntegrity(p, 0xff00001d, odcid, packet), false);
          assert.equal(verifyRetryIntegrity(p, version, new Uint8Array(256), packet), false);
        });
      });
    }
  }

  it('v1 and v2 tags differ: the key is per version', () => {
    const v = loadVector('quic-v1-initial.json').retry;
    const p = PROVIDERS[0]!;
    const packet = fromHex(v.packet);
    assert.equal(verifyRetryIntegrity(p, 0x6b3343cf, fromHex(v.original_dcid), packet), false);
  });
});
