/**
 * RFC 8448 §3 "Simple 1-RTT Handshake": with the trace's key shares, every secret of the key
 * schedule, the transcript hashes and both Finished values must equal the published ones. Run
 * through every provider.
 */
import assert from 'node:assert/strict';
import { x25519 } from '@noble/curves/ed25519.js';
import { defaultProvider, nobleProvider, nodeProvider } from '../../src/crypto/index.js';
import type { CryptoProvider, KeyShare } from '../../src/crypto/provider.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { KeySchedule } from '../../src/tls/key-schedule.js';
import { Transcript } from '../../src/tls/transcript.js';
import { decodeClientHello, decodeServerHello } from '../../src/tls/messages.js';
import { decodeKeyShareClient, decodeKeyShareServer } from '../../src/tls/extension-codecs.js';
import { findExtension } from '../../src/tls/extensions.js';
import { ExtensionType } from '../../src/tls/constants.js';
import { loadVector } from '../vectors.js';

const v = loadVector('tls13-rfc8448-simple.json');
const m = v.messages as Record<string, string>;
const ks = v.key_schedule as Record<string, string>;
const msg = (name: string): Uint8Array => fromHex(m[name]!);

/** A KeyShare over a fixed X25519 private key, as the TLS config's generateKeyShare injects. */
function fixedX25519(privateHex: string): KeyShare {
  const priv = fromHex(privateHex);
  return {
    group: 'x25519',
    publicKey: x25519.getPublicKey(priv),
    deriveSecret: (peer) => x25519.getSharedSecret(priv, peer),
  };
}

for (const provider of [defaultProvider, nodeProvider, nobleProvider] as CryptoProvider[]) {
  describe(`RFC 8448 §3 key schedule (${provider.name})`, () => {
    it('derives every secret, transcript hash and Finished of the trace', () => {
      const ch = decodeClientHello(msg('client_hello').subarray(4));
      const sh = decodeServerHello(msg('server_hello').subarray(4));
      const clientShare = fixedX25519(v.client_x25519_private);
      const serverShare = fixedX25519(v.server_x25519_private);
      // The injected shares are the ones on the wire.
      const offered = decodeKeyShareClient(findExtension(ch.extensions, ExtensionType.key_share)!);
      assert.equal(toHex(offered[0]!.keyExchange), toHex(clientShare.publicKey));
      const chosen = decodeKeyShareServer(findExtension(sh.extensions, ExtensionType.key_share)!);
      assert.equal(toHex(chosen.keyExchange), toHex(serverShare.publicKey));

      const shared = clientShare.deriveSecret(chosen.keyExchange)!;
      assert.equal(toHex(shared), v.ecdhe_shared_secret);
      assert.equal(
        toHex(serverShare.deriveSecret(offered[0]!.keyExchange)!),
        v.ecdhe_shared_secret,
      );

      const schedule = new KeySchedule(provider, 'sha256');
      assert.equal(toHex(schedule.earlySecret), ks.early_secret);
      assert.equal(toHex(schedule.emptyHash), ks.empty_hash);
      assert.equal(
        toHex(schedule.deriveSecret(schedule.earlySecret, 'derived', schedule.emptyHash)),
        ks.derived_for_handshake,
      );
      assert.equal(toHex(schedule.deriveHandshakeSecret(shared)), ks.handshake_secret);

      const t = new Transcript(provider);
      t.add(msg('client_hello'));
      t.add(msg('server_hello'));
      const th1 = t.hash('sha256');
      assert.equal(toHex(th1), ks.transcript_hash_ch_sh);
      const chts = schedule.handshakeTrafficSecret('client', th1);
      const shts = schedule.handshakeTrafficSecret('server', th1);
      assert.equal(toHex(chts), ks.client_handshake_traffic_secret);
      assert.equal(toHex(shts), ks.server_handshake_traffic_secret);

      assert.equal(
        toHex(schedule.deriveSecret(schedule.handshakeSecret!, 'derived', schedule.emptyHash)),
        ks.derived_for_master,
      );
      assert.equal(toHex(schedule.deriveMasterSecret()), ks.master_secret);

      const f = v.finished as Record<string, string>;
      for (const name of ['encrypted_extensions', 'certificate', 'certificate_verify']) {
        t.add(msg(name));
      }
      assert.equal(toHex(schedule.finishedKey(shts)), f.server_finished_key);
      const sfin = schedule.verifyData(shts, t.hash('sha256'));
      assert.equal(toHex(sfin), f.server_verify_data);
      assert.equal(toHex(msg('server_finished').subarray(4)), f.server_verify_data);
      t.add(msg('server_finished'));

      const th2 = t.hash('sha256');
      assert.equal(toHex(th2), ks.transcript_hash_ch_to_server_finished);
      assert.equal(
        toHex(schedule.applicationTrafficSecret('client', th2)),
        ks.client_application_traffic_secret_0,
      );
      assert.equal(
        toHex(schedule.applicationTrafficSecret('server', th2)),
        ks.server_application_traffic_secret_0,
      );
      assert.equal(toHex(schedule.exporterMasterSecret(th2)), ks.exporter_master_secret);

      assert.equal(toHex(schedule.finishedKey(chts)), f.client_finished_key);
      assert.equal(toHex(schedule.verifyData(chts, th2)), f.client_verify_data);
      t.add(msg('client_finished'));
      const th3 = t.hash('sha256');
      assert.equal(toHex(th3), ks.transcript_hash_ch_to_client_finished);
      const rms = schedule.resumptionMasterSecret(th3);
      assert.equal(toHex(rms), ks.resumption_master_secret);
      assert.equal(
        toHex(schedule.resumptionPsk(rms, fromHex(ks.ticket_nonce!))),
        ks.resumption_psk,
      );
    });

    it('fails a corrupted transcript (the checks above can fail)', () => {
      const t = new Transcript(provider);
      const ch = msg('client_hello');
      ch[10] = ch[10]! ^ 1;
      t.add(ch);
      t.add(msg('server_hello'));
      assert.notEqual(toHex(t.hash('sha256')), ks.transcript_hash_ch_sh);
    });
  });
}

describe('Transcript', () => {
  it('replaces ClientHello1 with message_hash after a HelloRetryRequest (RFC 8446 §4.4.1)', () => {
    const t = new Transcript(defaultProvider);
    const ch1 = msg('client_hello');
    t.add(ch1);
    t.replaceWithMessageHash('sha256');
    const h = defaultProvider.hash('sha256', ch1);
    const expected = new Uint8Array(4 + 32);
    expected.set([254, 0, 0, 32]);
    expected.set(h, 4);
    assert.equal(toHex(t.hash('sha256')), toHex(defaultProvider.hash('sha256', expected)));
  });

  it('hashWith does not modify the transcript', () => {
    const t = new Transcript(defaultProvider);
    t.add(msg('client_hello'));
    const before = toHex(t.hash('sha384'));
    const withExtra = t.hashWith('sha384', msg('server_hello'));
    assert.equal(toHex(t.hash('sha384')), before);
    t.add(msg('server_hello'));
    assert.equal(toHex(t.hash('sha384')), toHex(withExtra));
  });
});

describe('Transcript release', () => {
  it('refuses any use once released', () => {
    const t = new Transcript(defaultProvider);
    t.add(msg('client_hello'));
    assert.equal(t.released, false);
    t.release();
    assert.equal(t.released, true);
    assert.throws(() => t.hash('sha256'), TypeError);
    assert.throws(() => t.add(msg('server_hello')), TypeError);
    assert.throws(() => t.hashWith('sha256', msg('server_hello')), TypeError);
  });
});

describe('KeySchedule forgetSecrets', () => {
  it('drops the early, handshake and master secrets, keeping the exporter and ticket PSKs', () => {
    const s = new KeySchedule(defaultProvider, 'sha256');
    s.deriveHandshakeSecret(fromHex(v.ecdhe_shared_secret));
    s.deriveMasterSecret();
    const ems = fromHex(ks.exporter_master_secret!);
    const rms = fromHex(ks.resumption_master_secret!);
    const exported = toHex(s.exporter(ems, 'EXPORTER-test', new Uint8Array([1]), 32));
    assert.equal(toHex(s.masterSecret!), ks.master_secret);
    assert.equal(s.holdsSecrets, true);
    s.forgetSecrets();
    assert.equal(s.holdsSecrets, false);
    assert.equal(s.handshakeSecret, null);
    assert.equal(s.masterSecret, null);
    assert.throws(() => s.earlySecret);
    assert.throws(() => s.applicationTrafficSecret('client', new Uint8Array(32)));
    assert.equal(toHex(s.exporter(ems, 'EXPORTER-test', new Uint8Array([1]), 32)), exported);
    // RFC 8448 §3: the ticket's PSK from the resumption master secret and the ticket nonce.
    assert.equal(toHex(s.resumptionPsk(rms, fromHex(ks.ticket_nonce!))), ks.resumption_psk);
  });
});

describe('KeySchedule exporter', () => {
  it('follows RFC 8446 §7.5 and depends on label, context and length', () => {
    const s = new KeySchedule(defaultProvider, 'sha256');
    const ems = fromHex(ks.exporter_master_secret!);
    const a = s.exporter(ems, 'EXPORTER-test', new Uint8Array([1]), 32);
    const derived = s.deriveSecret(ems, 'EXPORTER-test', s.emptyHash);
    assert.equal(a.length, 32);
    assert.notEqual(toHex(a), toHex(s.exporter(ems, 'EXPORTER-test', new Uint8Array([2]), 32)));
    assert.notEqual(toHex(a), toHex(s.exporter(ems, 'EXPORTER-other', new Uint8Array([1]), 32)));
    assert.equal(toHex(s.exporter(ems, 'EXPORTER-test', new Uint8Array([1]), 16)).length, 32);
    assert.notEqual(toHex(derived), toHex(ems));
  });
});
