import assert from 'node:assert/strict';
import { createInitialProtectors, deriveInitialSecrets } from '../../src/crypto/initial.js';
import { derivePacketKeys } from '../../src/crypto/packet-protection.js';
import { TLS_AES_128_GCM_SHA256 } from '../../src/crypto/suites.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { loadVector } from '../vectors.js';
import { PROVIDERS } from './providers.js';

const FILES = ['quic-v1-initial.json', 'quic-v2-initial.json'];

describe('crypto/initial', () => {
  for (const file of FILES) {
    const v = loadVector(file);
    const version = parseInt(v.quic_version, 16);
    for (const p of PROVIDERS) {
      describe(`${file} with the ${p.name} provider`, () => {
        it('initial_secret = HKDF-Extract(initial_salt, DCID)', () => {
          const initial = p.hkdfExtract('sha256', fromHex(v.initial_salt), fromHex(v.client_dcid));
          assert.equal(toHex(initial), v.initial_secret);
        });

        it('derives the client and server initial secrets', () => {
          const s = deriveInitialSecrets(p, version, fromHex(v.client_dcid));
          assert.equal(toHex(s.client), v.client_initial.secret);
          assert.equal(toHex(s.server), v.server_initial.secret);
        });

        it('derives key, iv and hp for both directions', () => {
          const s = deriveInitialSecrets(p, version, fromHex(v.client_dcid));
          for (const [secret, expected] of [
            [s.client, v.client_initial],
            [s.server, v.server_initial],
          ] as const) {
            const keys = derivePacketKeys(p, TLS_AES_128_GCM_SHA256, secret, version);
            assert.equal(toHex(keys.key), expected.key);
            assert.equal(toHex(keys.iv), expected.iv);
            assert.equal(toHex(keys.hp), expected.hp);
          }
        });

        it('builds protectors holding the initial secrets', () => {
          const pr = createInitialProtectors(p, version, fromHex(v.client_dcid));
          assert.equal(toHex(pr.client.secret), v.client_initial.secret);
          assert.equal(toHex(pr.server.secret), v.server_initial.secret);
          assert.equal(pr.client.suite, TLS_AES_128_GCM_SHA256);
          assert.equal(pr.client.version, version);
        });
      });
    }
  }

  it('v1 and v2 give different secrets for the same DCID', () => {
    const p = PROVIDERS[0]!;
    const dcid = fromHex('8394c8f03e515708');
    const a = deriveInitialSecrets(p, 1, dcid);
    const b = deriveInitialSecrets(p, 0x6b3343cf, dcid);
    assert.notEqual(toHex(a.client), toHex(b.client));
  });

  it('refuses a version without defined packet protection', () => {
    assert.throws(
      () => deriveInitialSecrets(PROVIDERS[0]!, 0xff00001d, new Uint8Array(8)),
      RangeError,
    );
  });
});
