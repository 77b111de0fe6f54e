import assert from 'node:assert/strict';
import { QuicLbCipher } from '../../src/lb/cid-cipher.js';
import { MAX_SERVER_ID_LENGTH, type QuicLbConfig } from '../../src/lb/config.js';
import { QuicLbDecoder } from '../../src/lb/decoder.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';
import { QUIC_LB_CASES, configOf } from './draft-vectors.js';
import { PROVIDERS } from '../crypto/providers.js';

const KEY = fromHex('8f95f09245765f80256934e50c66207f');

/** The datagrams a router sees for `cid`: a short header and a long header packet. */
function datagramsFor(cid: Uint8Array, rng: SeededRandom): Uint8Array[] {
  const tail = rng.bytes(rng.int(30));
  return [
    new Uint8Array([0x40, ...cid, ...tail]),
    new Uint8Array([0xc0, 0, 0, 0, 1, cid.length, ...cid, ...tail]),
  ];
}

/** routeInto must say what route() says: the same codepoint and server ID, or unroutable. */
function assertAgrees(dec: QuicLbDecoder, datagram: Uint8Array, what: string): void {
  const out = new Uint8Array(MAX_SERVER_ID_LENGTH).fill(0xee);
  const route = dec.route(datagram);
  const configId = dec.routeInto(datagram, out);
  if (route === null) {
    assert.equal(configId, -1, `${what}: ${toHex(datagram)} is unroutable`);
    return;
  }
  assert.equal(configId, route.configId, `${what}: ${toHex(datagram)}`);
  assert.equal(
    toHex(out.subarray(0, route.serverId.length)),
    toHex(route.serverId),
    `${what}: ${toHex(datagram)}`,
  );
}

for (const provider of PROVIDERS) {
  describe(`QuicLbDecoder.routeInto: route() without allocating [${provider.name}]`, () => {
    it('agrees with route() on the draft vectors (App. B), short and long headers', () => {
      const rng = new SeededRandom(1);
      for (const { v, key } of QUIC_LB_CASES) {
        const config = configOf(v, key);
        const dec = new QuicLbDecoder([config], provider);
        for (const d of datagramsFor(fromHex(v.cid), rng)) {
          const out = new Uint8Array(MAX_SERVER_ID_LENGTH);
          assert.equal(dec.routeInto(d, out), config.configId, v.cid);
          assert.equal(toHex(out.subarray(0, config.serverIdLength)), v.sid, v.cid);
          assertAgrees(dec, d, v.cid);
        }
      }
    });

    it('agrees with route() on random CIDs of every algorithm and on random bytes', () => {
      const rng = new SeededRandom(14);
      // Codepoints 0..6, one configuration each: plaintext, single pass (16 octets), four-pass
      // with the server ID in left_0 and four-pass with it reaching into right_0 (§5.5.2).
      const configs: QuicLbConfig[] = [
        { configId: 0, serverIdLength: 1, nonceLength: 7 },
        { configId: 1, serverIdLength: 3, nonceLength: 9, encodeLength: false },
        { configId: 2, serverIdLength: 1, nonceLength: 15, key: KEY },
        { configId: 3, serverIdLength: 8, nonceLength: 8, key: KEY },
        { configId: 4, serverIdLength: 1, nonceLength: 7, key: KEY },
        { configId: 5, serverIdLength: 3, nonceLength: 4, key: KEY, encodeLength: false },
        { configId: 6, serverIdLength: 9, nonceLength: 6, key: KEY },
      ];
      const dec = new QuicLbDecoder(configs, provider);
      let routed = 0;
      for (const config of configs) {
        const cipher = new QuicLbCipher(config, provider);
        for (let i = 0; i < 200; i++) {
          const sid = rng.bytes(config.serverIdLength);
          const cid = cipher.encode(sid, rng.bytes(config.nonceLength), rng.int(32));
          for (const d of datagramsFor(cid, rng)) {
            const out = new Uint8Array(MAX_SERVER_ID_LENGTH);
            assert.equal(dec.routeInto(d, out), config.configId);
            assert.deepEqual(out.subarray(0, sid.length), sid);
            assertAgrees(dec, d, `config ${config.configId}`);
            routed++;
          }
        }
      }
      // Bytes that are no CID of these configurations, or truncated headers: both unroutable
      // alike (a decrypted random CID routes to some server ID, which both must name).
      for (let i = 0; i < 3000; i++) {
        const d = rng.bytes(rng.int(40));
        assertAgrees(dec, d, 'random');
      }
      assert.equal(routed, 7 * 200 * 2);
    });

    it('a decoder with no configuration routes nothing', () => {
      const dec = new QuicLbDecoder([], provider);
      const rng = new SeededRandom(3);
      for (let i = 0; i < 100; i++) {
        assert.equal(
          dec.routeInto(rng.bytes(rng.int(30)), new Uint8Array(MAX_SERVER_ID_LENGTH)),
          -1,
        );
      }
    });
  });
}
