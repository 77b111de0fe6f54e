/**
 * The anti-amplification limit (RFC 9000 §8.1): before a server has validated the client's
 * address it sends at most three times the bytes it received from it, even when its first
 * flight is far larger (a three-certificate chain with 4096-bit RSA keys) and client packets
 * are lost. The handshake must still complete once packets flow (RFC 9002 §6.2.2.1: the client
 * keeps probing, so a server at its limit is never deadlocked).
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import type { KeyExchangeGroup } from '../../src/crypto/provider.js';
import { Engine } from '../../src/engine/engine.js';
import { Network, type LinkConditions } from '../../src/testing/network.js';
import { createSelfSignedCertificate } from '../../src/tls/x509/index.js';
import type { CertifiedKey } from '../../src/tls/types.js';
import { forgeLongPacket, initialProtector } from '../../src/testing/forge.js';
import { addressKey } from '../../src/util/address.js';
import { SeededRandom } from '../../src/util/random.js';
import { splitCoalesced } from '../../src/wire/header.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
} from '../../src/testing/index.js';

interface Chain {
  certificate: CertifiedKey;
  root: Uint8Array;
  /** Bytes of certificates the server sends. */
  size: number;
}

let chain: Chain | null = null;

/**
 * Root CA → intermediate CA → leaf, each with its own 4096-bit RSA key (fixed PKCS#8 keys below:
 * generating them would take seconds). The server sends all three certificates.
 */
function bigChain(): Chain {
  if (chain) return chain;
  const p = defaultProvider;
  const dates = { notBefore: Date.UTC(2020, 0, 1), notAfter: Date.UTC(2099, 0, 1) };
  const key = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));
  const root = createSelfSignedCertificate(p, {
    names: [],
    commonName: 'tsquic test root',
    isCA: true,
    pkcs8: key(ROOT_RSA4096),
    ...dates,
  });
  const intermediate = createSelfSignedCertificate(p, {
    names: [],
    commonName: 'tsquic test intermediate',
    isCA: true,
    pathLen: 0,
    pkcs8: key(INTERMEDIATE_RSA4096),
    issuer: { cert: root.certificate, key: root.key },
    ...dates,
  });
  const leaf = createSelfSignedCertificate(p, {
    names: ['localhost', PAIR_SERVER_ADDRESS.address],
    pkcs8: key(LEAF_RSA4096),
    issuer: { cert: intermediate.certificate, key: intermediate.key },
    ...dates,
  });
  const certs = [leaf.certificate, intermediate.certificate, root.certificate];
  chain = {
    certificate: { chain: certs, key: leaf.key },
    root: root.certificate,
    size: certs.reduce((n, c) => n + c.length, 0),
  };
  return chain;
}

/** Whether a datagram holds a long-header Handshake packet (QUIC v1 type bits 0b10, §17.2). */
function hasHandshakePacket(d: Uint8Array): boolean {
  for (const span of splitCoalesced(d, 8)) {
    const first = d[span.start]!;
    if ((first & 0x80) !== 0 && (first & 0x30) === 0x20) return true;
  }
  return false;
}

interface Run {
  net: Network;
  server: Engine;
  conn: Connection;
  /** Bytes the server received from / sent to the client before it validated the address. */
  received: number;
  sent: number;
  /** Largest sent / received ratio seen before validation. */
  peakRatio: number;
  validated: boolean;
  /** Every server send before validation, checked against 3x what had arrived then. */
  violations: string[];
  /** Bytes the server sent to the client in all. */
  sentTotal: number;
}

/**
 * A client and a server with the big chain. The tap measures per direction, independently of
 * the server's own bookkeeping: what reached the server engine from the client (after losses)
 * and what the server put on the wire, until a Handshake packet from the client arrived.
 */
function setup(
  cc: string,
  seed: number,
  conditions?: LinkConditions,
  groups: KeyExchangeGroup[] = ['x25519'],
): Run {
  const c = bigChain();
  const { net, server, conn } = createEnginePair({
    seed,
    ...(conditions ? { conditions } : {}),
    certificate: { cert: c.certificate, ca: c.root },
    serverEngine: { connection: { congestionControl: cc } },
    // A classic key share keeps the ClientHello in one Initial, which the byte counts below
    // assume; the two-datagram post-quantum ClientHello has tests of its own.
    client: { congestionControl: cc, groups },
  });
  const run: Run = {
    net,
    server,
    conn,
    received: 0,
    sent: 0,
    peakRatio: 0,
    validated: false,
    violations: [],
    sentTotal: 0,
  };
  const handle = server.handleDatagram.bind(server);
  server.handleDatagram = (data, local, remote, now) => {
    const fromClient = addressKey(remote) === addressKey(PAIR_CLIENT_ADDRESS);
    const validating = fromClient && !run.validated && hasHandshakePacket(data);
    if (fromClient && !run.validated) run.received += data.length;
    handle(data, local, remote, now);
    if (validating) run.validated = true;
  };
  net.onSend = (data, from, to) => {
    if (
      addressKey(from) !== addressKey(PAIR_SERVER_ADDRESS) ||
      addressKey(to) !== addressKey(PAIR_CLIENT_ADDRESS)
    )
      return;
    run.sentTotal += data.length;
    if (run.validated) return;
    run.sent += data.length;
    run.peakRatio = Math.max(run.peakRatio, run.sent / run.received);
    if (run.sent > 3 * run.received) {
      run.violations.push(`at ${net.now} µs: sent ${run.sent} after receiving ${run.received}`);
    }
  };
  return run;
}

function confirmed(run: Run, maxUs: number): boolean {
  return run.net.runUntil(() => run.conn.handshakeConfirmed, maxUs);
}

for (const cc of ['newreno', 'cubic']) {
  describe(`scenario: anti-amplification limit (${cc})`, function () {
    this.timeout(30_000);

    it('the first flight is larger than three client Initials', () => {
      // Otherwise the tests below would not exercise the limit at all.
      assert.ok(bigChain().size > 3 * 1200, `certificates: ${bigChain().size} bytes`);
    });

    it('without loss: at most 3x before validation, and the limit is reached', () => {
      const run = setup(cc, 1);
      assert.ok(confirmed(run, 10_000_000), 'handshake completes');
      assert.deepEqual(run.violations, []);
      assert.ok(run.validated);
      assert.ok(run.peakRatio > 2.5, `the server stopped at ${run.peakRatio.toFixed(2)}x`);
      assert.ok(run.sentTotal > 3 * 1200, `${run.sentTotal} bytes in all`);
    });

    it('client packets lost after the first Initial: the server waits at 3x, then completes', () => {
      const run = setup(cc, 2);
      // Everything the client sends after its first Initial is lost for 3 seconds.
      run.net.blackhole(1, 3_000_000, 'client', 'server');
      run.net.runFor(2_900_000);
      assert.equal(run.received, 1200, 'only the first Initial arrived');
      // Exactly its budget: every datagram, probes included, counted once.
      assert.equal(run.sent, 3 * run.received);
      assert.equal(run.conn.handshakeConfirmed, false);
      assert.ok(confirmed(run, 20_000_000), 'handshake completes once packets flow');
      assert.deepEqual(run.violations, []);
    });

    it("the server's first flight lost: the client's probes unblock it", () => {
      const run = setup(cc, 3);
      run.net.blackhole(0, 200_000, 'server', 'client');
      assert.ok(confirmed(run, 20_000_000), 'handshake completes');
      assert.deepEqual(run.violations, []);
      assert.ok(run.received > 1200, 'the client sent more than one datagram');
    });

    it('a client that goes silent gets at most 3x its Initial, ever', () => {
      const run = setup(cc, 4);
      run.net.blackhole(1, 120_000_000, 'client', 'server');
      run.net.runFor(60_000_000);
      assert.equal(run.received, 1200);
      assert.equal(run.sent, 3600);
      assert.deepEqual(run.violations, []);
      assert.equal(run.server.connectionCount, 0, 'the server gave the connection up');
    });

    it('CONNECTION_CLOSE spends the budget too: a closing server at its limit waits', () => {
      const run = setup(cc, 2);
      let firstInitial: Uint8Array | null = null;
      const tap = run.net.onSend!;
      run.net.onSend = (data, from, to) => {
        tap(data, from, to);
        if (addressKey(from) === addressKey(PAIR_CLIENT_ADDRESS)) firstInitial ??= data.slice();
      };
      run.net.blackhole(1, 10_000_000, 'client', 'server');
      run.net.runFor(2_900_000);
      assert.equal(run.sent, 3600);
      const sc = run.server.accept()!;
      sc.close(0, 'bye');
      run.net.runFor(20_000);
      assert.equal(sc.state, 'closing');
      assert.equal(run.sent, 3600, 'the CONNECTION_CLOSE waits for credit');
      // A copy of the client's Initial arrives: the closing server counts it and answers.
      run.server.handleDatagram(
        firstInitial!,
        PAIR_SERVER_ADDRESS,
        PAIR_CLIENT_ADDRESS,
        run.net.now,
      );
      run.net.runFor(1000);
      assert.ok(run.sent > 3600, 'then the CONNECTION_CLOSE went out');
      assert.equal(run.received, 2400);
      assert.deepEqual(run.violations, []);
    });

    it('a post-quantum ClientHello in two datagrams: the budget is 3x both', () => {
      const run = setup(cc, 1, undefined, ['X25519MLKEM768', 'x25519']);
      assert.ok(confirmed(run, 10_000_000), 'handshake completes');
      assert.deepEqual(run.violations, []);
      assert.equal(run.conn.getStats().group, 'X25519MLKEM768');
      // The server's first flight (a 1,120-byte key share and the big chain) needs the credit
      // of the second datagram.
      assert.ok(run.sent > 3 * 1200, `sent ${run.sent} before validation`);
    });

    it('only the first half of a post-quantum ClientHello arrives: the server waits', () => {
      const run = setup(cc, 2, undefined, ['X25519MLKEM768', 'x25519']);
      const tap = run.net.onSend!;
      let n = 0;
      run.net.onSend = (data, from, to) => {
        tap(data, from, to);
        // From the second datagram on, the client's datagrams are lost for 3 seconds.
        if (addressKey(from) === addressKey(PAIR_CLIENT_ADDRESS) && n++ === 1) {
          run.net.blackhole(run.net.now, 3_000_000, 'client', 'server');
        }
      };
      run.net.runFor(2_900_000);
      assert.equal(run.received, 1200);
      // Nothing to send but acknowledgments of half a ClientHello.
      assert.ok(run.sent < 200, `sent ${run.sent}`);
      assert.ok(confirmed(run, 20_000_000), 'handshake completes once packets flow');
      assert.deepEqual(run.violations, []);
    });

    for (const seed of [5, 6, 7, 8]) {
      it(`30% loss both ways (seed ${seed}): never above 3x, handshake completes`, () => {
        const run = setup(cc, seed, { delay: 20_000, loss: 0.3 });
        assert.ok(confirmed(run, 60_000_000), 'handshake completes');
        assert.deepEqual(run.violations, []);
      });
    }
  });
}

describe('scenario: anti-amplification accounting', function () {
  this.timeout(30_000);

  it('packets waiting for their keys are not counted again when they are read', () => {
    const c = bigChain();
    // A first flight far beyond what the client sends, so the limit decides how much goes.
    const bulky = { ...c.certificate, chain: [...c.certificate.chain, ...Array(8).fill(c.root)] };
    const server = new Engine({ server: { alpn: ['test'], certificate: bulky } });
    const client = new Engine();
    // Long ALPN names spread the ClientHello over two Initial datagrams.
    const alpn = [...Array.from({ length: 8 }, (_, i) => `${'x'.repeat(200)}${i}`), 'test'];
    const conn = client.connect(
      PAIR_SERVER_ADDRESS,
      {
        alpn,
        serverName: 'localhost',
        ca: [c.root],
        local: PAIR_CLIENT_ADDRESS,
        groups: ['x25519'],
      },
      0,
    );
    const flight: Uint8Array[] = [];
    for (let t = client.pollTransmit(0); t; t = client.pollTransmit(0)) flight.push(t.data);
    assert.equal(flight.length, 2, 'the ClientHello takes two datagrams');

    let received = 0;
    let sent = 0;
    const deliver = (d: Uint8Array, now: number): void => {
      received += d.length;
      server.handleDatagram(d, PAIR_SERVER_ADDRESS, PAIR_CLIENT_ADDRESS, now);
    };
    const drain = (now: number): void => {
      for (let t = server.pollTransmit(now); t; t = server.pollTransmit(now)) {
        sent += t.data.length;
        assert.ok(sent <= 3 * received, `sent ${sent} after receiving ${received}`);
      }
    };
    deliver(flight[0]!, 0);
    drain(0);
    // 0-RTT packets arrive before the rest of the ClientHello: the server buffers them (RFC 9001
    // §4.1.4), and retries them whenever new keys come (made-up keys: they never open).
    const rng = new SeededRandom(9);
    const keys = initialProtector('client', rng.bytes(8));
    for (let pn = 0; pn < 10; pn++) {
      const zeroRtt = forgeLongPacket({
        type: '0rtt',
        dcid: conn.originalDcid,
        scid: conn.localCids.all()[0]!.cid,
        packetNumber: pn,
        frames: [{ kind: 'ping' }],
        protector: keys,
        minSize: 100,
      });
      deliver(zeroRtt, 1000);
    }
    deliver(flight[1]!, 2000);
    let now = 2000;
    drain(now);
    // Timers too (probes), until the server has nothing left to do for a while.
    for (;;) {
      const t = server.nextTimeout();
      if (t > 5_000_000) break;
      now = Math.max(now, t);
      server.handleTimeout(now);
      drain(now);
    }
    assert.ok(sent <= 3 * received, `sent ${sent} after receiving ${received}`);
    assert.ok(sent > 3 * received - 64, `the server stopped at ${sent} of ${3 * received} bytes`);
  });
});

// ---- fixed 4096-bit RSA keys (PKCS#8 DER, base64), test use only ----

const ROOT_RSA4096 = [
  'MIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQCvf4vna7in7vBxliDVsG3AAYZ91aacRIZDirVY51PSCv8y',
  'B7P9+sRY72SZC4c1wjrux/p6+SKMHfVO5pcv4pGJevYyZABjCu1QRsHwIfkAXGfzW7DDjAJNypngH6OirhNvE0dZWDIu8xkN',
  'TIqHRgGaLgAIaaBE3mK6NiPLRtW+zpzxREGBqiRBNs+NPouaZ5i+XYNhvKhZrnr7VH5PF+v+0p+b7y/av9tDB1YCKDXlehSB',
  'fPJZgLMtBcnErxhxMYWxWyQjNKl06XiY/MM9jh0D/MyW++VjE+5BnzXMWwMB5IPaYeE+ezSevZPza2Zsi8cMzLqgp7dwgnC/',
  's5ruYHg9lRNJ0VDiKKFufBmcRBoB0mjbD9+rkukWzb8p/hn3dM4OZwp/UCVW06thTty6jZtiqzOHm/ZiGvgbLrwxd3NVwZYM',
  'jXQDPoS8oIC83JUOw9LqBitRCnDoMlnPn0A9Ndshm+Qykoeq1hOd6FFYT1IHT8bHeZ8KJzJpyqyHlbMEh1HP7mo+bFxIBoA9',
  'TJe5bZFyFydwBhk00Yur2ZVA56WCz856VWRaceMGEPSgGTUcNAvphp2fRZiVIsNu2mxMscAGsl3ZJW1H+a3WXuNIkfxW19Hw',
  'xrw6PfvCirJBohw6kslhuEs44af7CdzMH5pwWmRe/r/vBb677CxuAWbugHkTuQIDAQABAoICAEhB/DD/Dcr7Gr2xwfgpya5W',
  'EnFqD8zke+GAUXV23XCsfXE0cbv/TWuOuX04HWYZgBlDdlK+lCZbyV5Am/wnzaNs4MRTn0MoQxib4YsE+dhXs6cj1+5TjblI',
  '0z1P2ZiIEtFXfzd+lD73cZejrZ/Px6YbDYFpOAdTBxRDaU5vbl8/A6hk4ZHJI19EeYVevK0IvX+X0hniSvCN4e3sVosrPswv',
  'HW9fNnVbLCR3d0axFqvSrXG5J7GJR3yglvgn3ajxamnhLEpgiurrm+9llt+XzUOQiQ4bTdGS6bTUIBrxWBYl59H5HfwTT1GS',
  'ncGKNWQ40u5mtuqh02n8Ev8jLIW8a5TEMo8IPlqcdSWWnbBzAJxyePvNLPCDAeU0QXo8SODW052nn8Svzt3ghMJaHMtpQg7x',
  'e4bObvzPr+iqV0gbtTj87OWmPPuhQxAxPeyLAdFEOEsoRNtVF4O0lcbaczIG4B9MOTx4k4Z4bh97Skrnwcr72mKIqYreY4cL',
  '/AQ6YDFNJv2DJmiua2vJa7+NxHfTiLjsAXbWKvNagRVl0KVuAemovldWYf78bwmjS7suz+TwuHL/V2mZAI+mq8E+v916rFnP',
  'gIGP5JqLPCXUBS6iMM8qKm45LEm51l/IqzQcbxPfRQ+Asu4P7Vw7BFTSfC2fzzP+O+AhmPoIyyRAPZQIansvAoIBAQDoGJ2E',
  'ZLjURjblVhNKc8gIg4W7d1mxD9z3ygn+zaCNtD/fGVI3GvIB58CqauNqc/GBAg7Wn7zHU98D2sjWrr6AknPPhL9Opho7QYGQ',
  '+BQ9DpEpVGceHW6iSqS2WeKsYk0PhOeZCYmFzup6iokYMUqvcCuDZb2YMpGvEuQB439N9Aa3HIwBcdPGZuw0jtlcGkVj/ejm',
  '3rrv132bZzgKA6VHK57WwjkWJOvk5u+YBY4jIJjDgXpIK8/gseHUAK3zMelcTd1z6in61nnLngHAjT3f+Vk2TG69t6JjkVU7',
  'SbIUQq29igEtWb4aUn+BE9aXIH5jqxJhv3cVULBANJU2GsD7AoIBAQDBkq9/46Xikqt7p/DQ/unOK6aCx27LksMLSxRvPM6/',
  'tI8GkJaFDYI2SkNBa3lknKG61PQtUPXqLcmpxMRf9QpfBzSygYXEU3JpIrvfU6OsvnYgJZms7I3U0/VFcqDHt3RDbdDohR34',
  'PpeIRGjgJr/dZlI8V/T3yshNSNCYdcwqrCsYTy7s8pBTIoFkusjaUzMC7+TjZOhimnTxbC3BbZf3frltr5Wil+apmFsSPtsE',
  'LcgCfsxtT8Vub8xd6nBq6EvL+hEj7pNP3F2VhhP6G0KDX+QlAK0Wn9Lg6JvqPj59e7Rnav6mMHS6EIlNNw2yimwB+h5XHHgw',
  '/ZdnSY/DA2fbAoIBAQDYUpEF48bteuARks96Fj37yXIsz0nWoR1oCnSUe91IFhdt/jDF0aR8qB/H9sYt4xDWGC/yVIHkGsUC',
  '17lXdxlxxo6QfX69dE2Aq0Zy8vYSDnC338YYqIAEXaP1ngOKfjiq3UnrNptqDvg27MZouRCOQfMcjghPQdrNHcNMC1kNNAPK',
  'SZ4ofopPIoDHX9kxYf8I+pBIFpKPlv6oiGUP2GQE2KA8NFx2ykTfXWs0+wCGtwwLNLPfbo5bNBByw4td30hM0voz3q3v8FUm',
  'tgeWC07/YW2IEWcqBm0hdkTFdKO5BIjg3y7HsRxhdkEG8pGQ3CVRChKg7o60XDdaMGhePENfAoIBAHsepWmejeAykcew5cbI',
  'nEV6FgqQdrQcwNnqAzFNZ+MfIOl4BYTTNsL5MRXnGesYhPWkhTpdiExOmznT4WN3JAWVO7teDor02Ixufzhopm41JkUEJV6L',
  'hxqbRiHJ6uGcmeJZcsqyAIHordEKUfpgKyDS9/NRron8/LHLYoHWSunJYA+yLZKgJZP7GnnLI/1ZddSkaN0JTZWJ0F/OArxI',
  'zKOqgp51U6N7Ikc0lJhiSkO6KsELjVLprhW0HjSN7LrSzYMLpuNH14KwEwYLpaEqvX95+k5ew7jkJujOinzO4khF6lTtBNMH',
  'dvbxlaL7JUcuK8yGHc4iWYAvi6EydLIA9IkCggEAeq7PNteQ/dcQlrxsIOXjFdnpqlv8NOTRHQ2EJ7rRGabvR+JmRlHi8z7f',
  'fEsU15yJ463s9L/dZRR1s6mVcxwnAxSXojE2TrK4NfwGsEDk/mvgDwjUjm6hatOrVceR3/rwVJr33lZLkoF6Xtr6bKQl2YPt',
  'KmpwiKnSVI5jFZK1QvbO5Yb8PKxMwzq2CWMx084oYtXlpvtCLJuyYnfKrMKLDUbq3pKgpL/OQEKuv4gI9nJmwH3K7z5Wft77',
  'NeKvl5ZlDnSrfyKGa5rZ/qvFGrkC3lH+Fko2l2o6o9wWmpL6IbWPK43qyvk1cR9mTEh2xxoeFbsmSoTgMsXFWPJHlsfbwg==',
].join('');
const INTERMEDIATE_RSA4096 = [
  'MIIJRAIBADANBgkqhkiG9w0BAQEFAASCCS4wggkqAgEAAoICAQDfrwC3kuyvugAjAuFFy7nSpt5tnXQ2v6kIW3+Ft2VhqODn',
  'QoaemVEs48INk65kxdEtdzGOIqEnRKSHZfQecEsnrb4JvOgjoK9FBz6OEj4mIVgVSMdoKLXXExlngg51NKGYDIvBS8LF85vI',
  'LwXFzxbCqD1kzmSKhYjgszAOSyh+UbYHGMrys3COZm2thMny9y3eG9/isqCBRsIUxwwmlj9gx9zB/l8dCNXjwC2LNeypZjUS',
  'HtdiCrNB8JbopPZ5/8oK+3aCSBXXm6iUO5yRDYjYVtTZZwa27Vv+edAqxmOexZX9tO9U8PawlY1QKZpXFsnpQDh8kHxFjn2Y',
  'Phrc+9AGq8Iu4pMv9E4cQ7oVaZYw82x8D9B7YcD++TUsMw3kSjaXLx5Xb8cdQr3klItzLkNHohIRvc43ESZpmvRyfGcp5S4c',
  'NWNvINEXNCb4cdKp/j2QxjAgnhXBPunva4WD7igTfyOE7owloSG/jF8mnBhPtWDp4zh+pY08stPMa7DX6QeRMWiyE+XApHS8',
  'mTK6TCK9+MgMhDtiUNioR5WEUyczWe0s6HT7eaFk6v+/JvZmeAyNPPXb0PNmQ684yowkVL9gPEeodVeFrna2R1iSRzNPZEjZ',
  'YL0wz9bJR181zZKGJ3J+73AO3e/ZJJbJCqKQiZNFDasB13nkFx9vD/jX9gTDJwIDAQABAoICABVY38IlQPZiU2oD99jP4QuU',
  'Bk1CxhkFgI2+IbTytDe2RMR9SlivfBpDID1ody/B2z0yD2YnsuaK/AK5/aq7/8gpIiZOw37G8oMtdlBbuFeuPfhGClXL8NK2',
  'TWnd9SBFZhibNek8IDoBDkB0EGJ46YypPra0pc68gLwlDbSHgrVPegZCXPf9nQPSDayOLDHGWjfExECf2IaN6K7P8j5qf2Du',
  'oghXjN85/SOvrwkGm+/sw6rXi6mdKM9ltRk9yRIKkc8rgXtcgs0hW1zONZp4RrOS0dxvoynpDCsEmBPE/DPmWnKshly+ZGSk',
  '2Sgp2ENwdtOOX/WvWlTPDPhvEOQ/GfKjW9wWchgqXw1O49QwPAECGdPfRkUM98iN7LioArn2oYz9wSQPpalS7bFT2xd4YJyL',
  'QOV2eMmcY7tNXQF8OhEN4t/mgUAePylDxQzfvkzDlWz1LIdId5zhYRry/enyCb0b1Zc9LWTeJEAARtLCvvLyg3XxprZ/P4Tq',
  't5HuUPzR/N1jG1T/PSU3zfudS9XREjOhxp1Axu14jnEjvXCqYgpn+HfT1zYaw/hzmgFdbcjDAz2i7Sjv5aChSYLfx7evLVIe',
  'LNYcFiF2Szzqdaj92sO0CuVL8fOjll0yse3H6i9b4WTL2D+jVf14NE/7qo5+wCFuTSpyjODw466ioTZ77ZK5AoIBAQDvqOg3',
  'fJd2QtK3Uk8ynZEEp4j9IgdSLzNwpCp6HHZwDF5cwzXcj3k3TyRrsgz1lNpqtxiCqpSypGSdUVxxEbOLkRqFDTeFACshV3t3',
  'LzTKlxYrS8j8j3t8s0/6WmjDbBkfknbd+25FsJQbRRdXHsbaOlnQULvH8Km3BRiS1o5Bblc3DOwt6Cu3HWkxmCp2hj88UXNi',
  'nsHnEts/mFfmSPb2+26FQP0RSJFLcH+MXQHnnuFCQI+rMTTMjVrw+DMofzLGxqWiCx5e8yFlLPxiJXRi9ocAGSILYxuvYgvR',
  'IF4+ep9A0ANBrbgHnVur8OR57c2w+IE934OS0AjNyCiqmNzPAoIBAQDu7z4Z8O9eapYxePt7tMW/is8MyBp+vl4Toxg+xS8s',
  'RV/WIvtlQ4MHz0Eb9ZuI4aJJxsvS8LaaITDDGAKndhKK+nruEwZUEuwTiMuYNsQ5ENsNw5mCQgGxBewpkOclbR6Niz1j0ANy',
  'EmOjaaCHb/WMcerqIdCpLc80BqtBniJ8NGD3KC0FHMXHnYuhv2ULnk7jqiYkNBmw5J0S2k35nqiwL3Rp1Q7CovvgIRXWRRFx',
  'TPZSoqOC6e+Hnxt/9O2td9n7OdI5OeFo0kMOJaHTTN2ctdSawIV8G2ZUy9f8+rrZE63HLoE4hp004v1YCovQ1VO8H3MAkiZ8',
  'oXGVYz/v9bopAoIBAQDuqGZvcvwlwY+zDR1fCzfxyaCKa4uc1PJF1sWSCqwLEtYZTDBj7uBIKuDa+lkbadtD8AdRf+tKJpkn',
  'bHFBC96fOqWNH8dNBAjvT/3chz7sDB8AiJyinYPcf3hCmCvBh/FQ1nrWvd5nOduTeG8wy648fWUZJHyLM+beIg4Bk/XfxLDH',
  'WnALmyuFU52AzMZkd3WbbIUaDXyMzuNU5jGKWtjMxT+fJUOeJYTC+kmaDrip3jb10fMACKVKme2ZD6FqT5jSB9nDj4z0Auwb',
  'o/vFBQVs05FGkMCtVEmqklmwLKqNT3EtirfjfMpJkvNKOz5bCWwPMrkJU37kAZTyz8Nnd4hTAoIBAQDkHhIiXj+K2yRuM12W',
  'q+6ogvRO9bUmEMZs5Se+ti/lio6HOXrfIWe2Sw+UjBdkxldVLLFowVz1Jn8RpJjUHQxzF9XJ+uvt1OsDc3U96/vHp+ob6AVl',
  'sXM/+bGRtcCZoOasqKWB6BWCEUCDwdL7u86puhFYW9SF0TCkMUHMMhgmkTOKhRcGbIP/otCvKrZkM06KWeZ0ZjGpC3tTho0v',
  'p2TSYVw5tqqS9VyYjb31hpeynpIGLzUBRivkRenRbpyFI4pAKuIktLgahbRzi0ZHIHnspkVHQkuvQ9GdX8jkxNUjb4BYTHQe',
  '7Zal6ZmLNvZp+WIql7QKdX69Or3grJNcnDSRAoIBAQDrf5qy0Cy4ehMV/lV0bLnbXjmJU1fqpXat8/pW43tI3BW9dVMue8m0',
  'z9Jd1/LT075NKeJoG6tM1GvWi2zpYo/Wyvy/GaW24TL0sfw4HaMqFRX9lLxr2uPtTSersGnsxdP0Orbq375CAcD9bLyKJ6c1',
  '+j2lElWANzYRszUWUXXFMIEIsThetYJovWC5VZSK9GymuXUUkL11kNv9ItnAVMhmZ9gKw9q1khWoBqn4H5zVZMAw0bfWfXSC',
  '7wmgmzkUW193hVnObbBkkCGDAN6U1IxMc51o7qJ8zvcudVJD1x0qxN0h0O+hfPKtTX4oqQSBneat9RS+BpFi2+Hxfno4HLX9',
].join('');
const LEAF_RSA4096 = [
  'MIIJQQIBADANBgkqhkiG9w0BAQEFAASCCSswggknAgEAAoICAQC8NOK8Q8RMcZKUpF5jsK5iFyB3ZIYg4JAJ4rWyf4cNskht',
  'Vd7fnmUBJFQAemcF3CsDKhp1JKxJ1ttF8MQMV2t6J6Px4KgeZB6aWul50XbW7HfTaFmJu+1IQllVhipmMw6oopVYdUMe7P1J',
  'aQoU8J731Y5f0rflFxUmF6g6CuIb2ud5HvYYvNFOTKQwbM6jhW3+ECgwphE2WjDG+cCrwpKRzP2EiR+82Gg5e3AAUjq3eLQu',
  '9qFVB39UAxf3F05zfHYXuuqUEIimg2UJ6r0yNQhPXDFbomOu2m+TxSeBuidDPYH8ZNKp+9RYdwvKAu7RHW+hpVIK0eNzo2Hu',
  'V//3+omCvNfGGUtt0v4WWk67t84bi4X7govNV3IwRvM3BAUjRbNPN8crniNZ/sxSiOskOQ6FY5wkCLSV56oM7F8mMKdaxeEB',
  'ELgMz79Ov885L7m+c8NXdhAaldz5bpDZkgc/MghbZ22ybWT+zXisZtU0rYAq0brsURvc6EMWL2CzwayyqAGjtYallKNpn/rm',
  'D8pzMBUkWHwtYr0sTL0LwbbFD4PC8snA8NGzkdiN4d5AgAEgTGpeNVnzM5NxcIE7QMZdePWwWD1Ppr1LjYPmYmMS/mycMt7z',
  '0GYXw6ICErD6oYETbLtHbrXOhLPHG/JyVhHJGDb8pCeUCzslRYG7Hlde46IZPwIDAQABAoICAB4pf5jaZ3A011/5A6OIYjoY',
  'KLzZoGFOe+cJrULhCzzXsKHNHD3MPbW0I74735zhzwbfzYOuj+n5hASudEziCbh29+BAt9C/DOSB418BgcEp/n4kAA2Bz6I/',
  '998r9EmSryu5eqPFjy86ndERA2udsGxZjkqvE4ekbmA/dFdw/RGnwGb53kjSodyhjcKw/WDZdmo8HqTFSIbkZ2LMDeO4+BJj',
  'vtFpxGtYZ0OnE6kJhJ14u6+3GN3uqKpHIKUZ2BnL/YUKEKQQDkZZUm0HcLDGLQHC7aoY2U7hdPZCp3Uz5yzwg492fQh+8mYH',
  'Fh2W4L0ksYo/W2mef4w9x+kRs1UDktvZX5W0aPXofxdbmPOAiun+dpHnNLaPFXUaAVwDrBZJ42nDPY0nzEq3qJEJR/7Ev+6u',
  'x9RQ0pH8HH4RklwVxhdwOZ3r77cOlFwIalJIAePys7rYmCPrld/9maVvHSq2NI6YWhMJ0VwROedmABt7w4L1/HqkO6PhlTGH',
  'bh0xcm7cd8HwjyMVzXpVFUiVyn1ox9yLrag/eTTv9yatKf6SLp7XX47VizmvF6HqcjPHGw/Q2k+8Zw5NYJQLp6LgWN9ufk83',
  'gB4Pv7kLxP6eJqeRSgra9vHcrBC4Q2P0reeziq1p6Buf/RZchvvTmGo3JKAWOjP/ySgwRNRclBh66RrdyhgZAoIBAQDuB1KU',
  'b9eu6ipWDiLUelKrapXF3vFt8SFJNWgUOm0x+Z5HtisAOQdS73lzHaHkDZMGWZ8NmE3g1QM2VZA3hT7MUPpgIbuYwJ914Yrx',
  'TvWWGmSJxV+xicR05NWz2nrM2EwSgpbAIZ93ss4fTet5hwAQsUyNRI3b6XhSxgkbJXP5WBjTESi1WSq1vyC1Vw/y+2u2XNLA',
  'Pr5NoM+kwS6YqCcmGjSGyPn1WOcaVS8bCfAF3eHIULg4JA9LhjHW15/6E3HHplwAionu8JXHdEinFPOjRDBWXBpyjhBGRNji',
  'uV4JNHRVmnLO7/PxeaOJZ6AMDP78s2rJyMnKMiHNSvkHMmiDAoIBAQDKapcnZESfiDa7AD9ZrV7Qo+IARg4m4J/b3+5zlFuy',
  '60z9DNMmnj05M1WXWYlVZqYa5r/BTFPCIng+3NG1580wvnR7KxJlWBLWb5O3hvyGNsSOSCJExyPUK1HSXPuw1ooCGofHL/k3',
  '16Vkkea1+/oK7cYQRWEBpeeNsJzEnWrsaS9s+XUMtZwhvg7WzhQQu7Pqe+EmzyV0kP61Fd2I11ey42lJ7p1tYEHxPIc187q4',
  'z5j/zAKYNiSYLgngl11nijAwVCEDMLbC0Y58ug1MQwKZKf1G2vymjgdLcEpdo/o06S9gKf+cMC7Yw7B28fwhPY7As477d/Kw',
  'HkO3ChA84peVAoIBACR7sNeZkOh5ccXA4uvIV/V4H761XjHovJ5Y9jvrfKMlTHJXZJ3jH9FBbU8Moqyuu/NEN1HBH2avn49r',
  'a/BmluqAGvAzG2rdU1OhH0e/P3sjTnejbfhrUlZMYMjxWtMc8AQCShLm1GdnW5qGuenlnEfytPYOJOQpE800F182zWDRdPSc',
  '861gHmC/C8dfsc0fZjIMZi0bMNX7KPhqt7akR2ParmReV5mYZ8usdMzjKAvuJ1YpsSLBvCpqRidU42tUIaNlR0K5+UxLSdnJ',
  'Y/1gA7vpjrMd6NvYFHyAvvF5UgV9KbuZMbGwK6a+ayd7X5eZQlf/NAX7pZo9Ntsde6/ztPsCggEARmd6ubXTdJXBS5vTbRKz',
  'VuiZtDSpuXYJxEWIP+VLW9kiByZNzzHc46dqTuFStkSk49h8u/QbcfvhTSQrQRUmNp0YELszg9J1guZ+P6iQ7vHfvgly+e82',
  'FBcZN40l8iU9DWxC69JQ4c589ZUV5RiGqQR5DrHDAvq8pnjWnkCOrzoKx+Ggh9InQ0lDCg3VxtgyxQ1fi8sjIP9JyJyZWH5m',
  'P49/0LpRQXjolsrR0L88pAl5EwfXoy+53MCuqNKdJ2VWS4kHjn+EIhEXeWSROYRZRALp2JpUpG3kNaYSB64AWiT9WHpjMOVF',
  'dhniqAyVAM7Td009H1RiMkXkkabLbRH3XQKCAQB1Df6bBjW3zUkC3o3TGLxgefeV7jHs/xlJJ8UTOfDUSRuQbvvpE7bxhwkx',
  '+3rEkUZmxe+CvTepAX9Q3LGhgvBm3puooazCnAXKDzSvTADueEc4zeqsM95VHNwB8SRI52pVJ+PBdRu4XKIoBsxYPtJAH/ef',
  'BLYwt1YozB/bsfij+XCI0Bmgt28sJ4cvG2I8uvanoDtvr2nIqGLDSvrrsCpft/MLKcqySEP7u7cqPeaMiixwzRaK5WVOa1+L',
  '9L8B0JIzwHvO9G4gC+uWVZzzk42WiN6JE3KpAJQHw6LWLlz3MtA0HZo6eIRkBzvDhg+oEj+hSeSFkzPiuVxF6kOg3GaI',
].join('');
