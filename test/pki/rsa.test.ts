import assert from 'node:assert/strict';
import {
  constants,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import {
  encodeRsaPrivateKey,
  encodeRsaPublicKey,
  generateRsaKey,
  i2osp,
  modInverse,
  modPow,
  os2ip,
  parseRsaPrivateKey,
  parseRsaPublicKey,
  rsaPkcs1Sign,
  rsaPkcs1Verify,
  rsaPssSign,
  rsaPssVerify,
  type RsaHash,
} from '../../src/crypto/rsa.js';
import { DecodeError } from '../../src/util/errors.js';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.js';
import { derInteger, derSequence } from '../../src/util/der.js';

const sha = (name: 'sha256' | 'sha384' | 'sha512', length: number): RsaHash => ({
  name,
  length,
  digest: (d) => new Uint8Array(createHash(name).update(d).digest()),
});
const SHA256 = sha('sha256', 32);
const SHA512 = sha('sha512', 64);

/** A deterministic byte source (SHA-256 in counter mode) so key generation is reproducible. */
function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

function exportPair(bits: number) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    node: privateKey,
    pkcs1: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs1' })),
    pkcs1Public: new Uint8Array(publicKey.export({ format: 'der', type: 'pkcs1' })),
  };
}

const message = utf8('rsa test message');
const random = seededRandom('sign');

describe('RSA (bigint)', () => {
  const pair = exportPair(2048);
  const key = parseRsaPrivateKey(pair.pkcs1);
  // An odd modulus size exercises emLen = k - 1 in PSS (RFC 8017 §9.1.1, emBits = modBits - 1).
  const odd = exportPair(1025);
  const oddKey = parseRsaPrivateKey(odd.pkcs1);

  it('integer conversions and modular helpers', () => {
    assert.equal(os2ip(fromHex('0102')), 258n);
    assert.equal(os2ip(new Uint8Array(0)), 0n);
    assert.equal(toHex(i2osp(258n, 4)!), '00000102');
    assert.equal(i2osp(65536n, 2), null);
    assert.equal(i2osp(-1n, 2), null);
    assert.equal(modPow(4n, 13n, 497n), 445n);
    assert.equal(modPow(7n, 0n, 13n), 1n);
    assert.equal(modPow(7n, 5n, 1n), 0n);
    const m = (1n << 127n) - 1n;
    assert.equal(modPow(3n, m - 1n, m), 1n); // Fermat, m is a Mersenne prime
    assert.equal(modInverse(3n, 11n), 4n);
    assert.equal(modInverse(6n, 9n), null);
  });

  it('PKCS#1 structures round trip and agree with node', () => {
    assert.equal(key.bits, 2048);
    assert.deepEqual(encodeRsaPrivateKey(key), pair.pkcs1);
    const pub = parseRsaPublicKey(pair.pkcs1Public);
    assert.equal(pub.n, key.n);
    assert.equal(pub.e, 65537n);
    assert.deepEqual(encodeRsaPublicKey(pub), pair.pkcs1Public);
    assert.equal(oddKey.bits, 1025);
  });

  it('rejects malformed and inconsistent keys', () => {
    const ints = [0n, key.n, key.e, key.d, key.p, key.q, key.dp, key.dq, key.qInv];
    const build = (vals: bigint[]) => derSequence(...vals.map((v) => derInteger(v)));
    assert.doesNotThrow(() => parseRsaPrivateKey(build(ints)));
    const wrongQ = [...ints];
    wrongQ[5] = key.q + 2n;
    assert.throws(() => parseRsaPrivateKey(build(wrongQ)), DecodeError);
    const wrongCrt = [...ints];
    wrongCrt[8] = key.qInv + 1n;
    assert.throws(() => parseRsaPrivateKey(build(wrongCrt)), DecodeError);
    const multiPrime = [1n, ...ints.slice(1)];
    assert.throws(() => parseRsaPrivateKey(build(multiPrime)), /two-prime/);
    assert.throws(() => parseRsaPrivateKey(build(ints.slice(0, 8))), DecodeError);
    assert.throws(() => parseRsaPublicKey(build([key.n + 1n, 3n])), DecodeError); // even modulus
    assert.throws(() => parseRsaPublicKey(build([key.n, 1n])), DecodeError);
  });

  it('PKCS#1 v1.5 signatures are byte-identical to node (deterministic encoding)', () => {
    for (const [hash, name] of [
      [SHA256, 'sha256'],
      [SHA512, 'sha512'],
    ] as const) {
      const ours = rsaPkcs1Sign(key, hash, message, random);
      const theirs = nodeSign(name, message, {
        key: pair.node,
        padding: constants.RSA_PKCS1_PADDING,
      });
      assert.equal(toHex(ours), theirs.toString('hex'));
      assert.equal(rsaPkcs1Verify(key, hash, message, ours), true);
      assert.equal(rsaPkcs1Verify(key, hash, utf8('other'), ours), false);
      assert.equal(rsaPkcs1Verify(key, SHA512 === hash ? SHA256 : SHA512, message, ours), false);
    }
  });

  it('PSS signatures verify with node, and node PSS signatures verify here', () => {
    for (const k of [key, oddKey]) {
      const node = k === key ? pair.node : odd.node;
      const salt = random(32);
      const ours = rsaPssSign(k, SHA256, message, salt, random);
      const opts = { key: node, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      assert.equal(nodeVerify('sha256', message, opts, ours), true);
      const theirs = new Uint8Array(nodeSign('sha256', message, opts));
      assert.equal(rsaPssVerify(k, SHA256, message, theirs, 32), true);
      assert.equal(rsaPssVerify(k, SHA256, message, theirs, 20), false);
      assert.equal(rsaPssVerify(k, SHA256, utf8('x'), theirs, 32), false);
    }
  });

  it('verification rejects signatures of the wrong length or not below n', () => {
    const sig = rsaPssSign(key, SHA256, message, random(32), random);
    assert.equal(rsaPssVerify(key, SHA256, message, sig.subarray(1), 32), false);
    const padded = new Uint8Array(sig.length + 1);
    padded.set(sig, 1);
    assert.equal(rsaPssVerify(key, SHA256, message, padded, 32), false);
    assert.equal(rsaPkcs1Verify(key, SHA256, message, i2osp(key.n, 256)!), false);
    assert.equal(rsaPkcs1Verify(key, SHA256, message, i2osp(key.n + 1n, 256)!), false);
  });

  it('PSS refuses a key too short for the hash and salt', () => {
    // 1025-bit modulus: emLen 128 < 64 + 64 + 2.
    assert.throws(() => rsaPssSign(oddKey, SHA512, message, random(64), random), RangeError);
  });

  it('generates valid keys reproducibly from a seeded source', function () {
    this.timeout(30000); // pure bigint; fixed seed, so the work is always the same
    const k = generateRsaKey(1024, seededRandom('keygen'));
    assert.equal(k.bits, 1024);
    assert.equal(k.p * k.q, k.n);
    assert.equal(k.e, 65537n);
    const lambda = ((k.p - 1n) * (k.q - 1n)) / gcdOf(k.p - 1n, k.q - 1n);
    assert.equal((k.e * k.d) % lambda, 1n);
    assert.deepEqual(parseRsaPrivateKey(encodeRsaPrivateKey(k)), k);
    const again = generateRsaKey(1024, seededRandom('keygen'));
    assert.equal(again.n, k.n);
    const der = encodeRsaPrivateKey(k);
    const nodeKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' });
    const sig = rsaPssSign(k, SHA256, message, random(32), random);
    assert.equal(
      nodeVerify(
        'sha256',
        message,
        { key: nodeKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        sig,
      ),
      true,
    );
    assert.throws(() => generateRsaKey(1023, random), RangeError);
    assert.throws(() => generateRsaKey(512, random), RangeError);
  });
});

function gcdOf(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
