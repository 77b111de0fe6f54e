/**
 * Key material shared by a pool of servers (key-material.ts): whichever server receives a
 * packet accepts what another one issued. Session tickets resume (with 0-RTT), Retry and
 * NEW_TOKEN tokens validate the address, and a server restarted with the same keys resets a
 * client's old connection at once. Each case has a control with keys that differ.
 */
import assert from 'node:assert/strict';
import { Engine, type ConnectOptions, type EngineConfig } from '../../src/engine/engine.js';
import {
  decodeKeyMaterial,
  encodeKeyMaterial,
  generateKeyMaterial,
  type KeyMaterial,
} from '../../src/engine/key-material.js';
import type { Connection } from '../../src/conn/connection.js';
import type { Stream } from '../../src/stream/stream.js';
import { Network } from '../../src/testing/network.js';
import { fromHex } from '../../src/util/bytes.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  testCertificate,
} from '../../src/testing/pair.js';
import { Router } from './router.js';

/** The key file as another process would read it. */
function viaFile(km: KeyMaterial): KeyMaterial {
  return decodeKeyMaterial(encodeKeyMaterial(km));
}

function server(
  keys: KeyMaterial,
  extra: Partial<NonNullable<EngineConfig['server']>> = {},
): Engine {
  const { cert } = testCertificate();
  return new Engine({
    keys: viaFile(keys),
    server: { alpn: ['test'], certificate: cert, earlyData: true, ...extra },
  });
}

interface Pool {
  net: Network;
  router: Router;
  client: Engine;
  connect(opts?: Partial<ConnectOptions>): Connection;
}

/** Servers behind PAIR_SERVER_ADDRESS, the datagrams to the one `pick` says, and a client. */
function pool(engines: Engine[], pick: (data: Uint8Array) => number, seed = 1): Pool {
  const net = new Network({ seed, conditions: { delay: 5_000 } });
  const router = new Router(engines, pick);
  const client = new Engine();
  net.addEndpoint('pool', router, PAIR_SERVER_ADDRESS);
  net.addEndpoint('client', client, PAIR_CLIENT_ADDRESS);
  const { ca } = testCertificate();
  return {
    net,
    router,
    client,
    connect: (o = {}) =>
      client.connect(
        PAIR_SERVER_ADDRESS,
        { alpn: ['test'], serverName: 'localhost', ca: [ca], local: PAIR_CLIENT_ADDRESS, ...o },
        net.now,
      ),
  };
}

/** A ticket and a NEW_TOKEN token from a first connection to `engine`. */
function firstVisit(engine: Engine): { ticket: Uint8Array; token: Uint8Array } {
  const p = pool([engine], () => 0);
  const conn = p.connect();
  let ticket: Uint8Array | null = null;
  let token: Uint8Array | null = null;
  conn.on('sessionTicket', (t) => (ticket = t));
  conn.on('newToken', (t) => (token = t));
  assert.ok(p.net.runUntil(() => ticket !== null && token !== null, 5_000_000));
  return { ticket: ticket!, token: token! };
}

describe('shared key material', function () {
  this.timeout(30_000);

  it('the key file round-trips and refuses what is malformed', () => {
    const km = generateKeyMaterial({
      quicLb: { configId: 1, serverIdLength: 2, nonceLength: 6, key: new Uint8Array(16).fill(7) },
    });
    assert.deepEqual(viaFile(km), km);
    const text = encodeKeyMaterial(km);
    const json = JSON.parse(text);
    assert.equal(json.format, 'tsquic-keys');
    assert.equal(json.version, 1);
    const bad = (patch: Record<string, unknown>, err: RegExp): void =>
      assert.throws(() => decodeKeyMaterial(JSON.stringify({ ...json, ...patch })), err);
    bad({ version: 2 }, /version 2/);
    bad({ format: 'other' }, /format/);
    bad({ tokenKey: 'AAAA' }, /tokenKey must be 16 bytes/);
    bad({ statelessResetKey: 'not base64!' }, /statelessResetKey must be a base64/);
    bad({ ticketRotationSeconds: 0 }, /ticketRotationSeconds/);
    bad({ extra: 1 }, /unknown field "extra"/);
    bad({ quicLb: { ...json.quicLb, configId: 7 } }, /configId/);
    assert.throws(() => decodeKeyMaterial('{'), /not JSON/);
    assert.throws(() => decodeKeyMaterial('[]'), /JSON object/);
  });

  it('a ticket from server A resumes with 0-RTT on server B; not on a server with other keys', () => {
    const km = generateKeyMaterial();
    const { ticket } = firstVisit(server(km));
    for (const [keys, shared] of [
      [km, true],
      [generateKeyMaterial(), false],
    ] as const) {
      const b = server(keys);
      const p = pool([b], () => 0);
      const conn = p.connect({ session: ticket, earlyData: true });
      const s = conn.openStream(true);
      assert.ok(s, 'remembered limits let a stream open before the handshake');
      s.write(fromHex('010203'), true);
      let got = 0;
      let sc: Connection | null = null;
      const drain = (st: Stream): void => {
        for (let r = st.read(); r; r = st.read()) got += r.data.length;
      };
      assert.ok(
        p.net.runUntil(() => {
          if (sc === null) {
            sc = b.accept();
            sc?.on('readable', drain);
            const early = sc?.getStream(0);
            if (early) drain(early);
          }
          return got === 3 && conn.handshakeComplete;
        }, 5_000_000),
      );
      const st = conn.getStats();
      assert.equal(st.resumed, shared);
      assert.equal(st.earlyDataAccepted, shared);
      assert.equal(sc!.getStats().earlyDataAccepted, shared);
    }
  });

  it('a Retry token minted by server A is accepted by server B; not with other keys', () => {
    const km = generateKeyMaterial();
    for (const [keys, shared] of [
      [km, true],
      [generateKeyMaterial(), false],
    ] as const) {
      const a = server(km, { retry: true });
      const b = server(keys, { retry: true });
      // The first Initial reaches A (which answers with Retry), everything after it B.
      let n = 0;
      const p = pool([a, b], () => (n++ === 0 ? 0 : 1));
      const conn = p.connect();
      p.net.runUntil(() => conn.handshakeComplete || conn.isClosed, 3_000_000);
      assert.equal(conn.getStats().retry, true, 'A demanded Retry');
      assert.equal(a.connectionCount, 0, 'A kept no state');
      assert.equal(conn.handshakeComplete, shared);
      if (shared) assert.equal(b.connectionCount, 1);
      // RFC 9000 §8.1.2: a Retry token that does not open closes with INVALID_TOKEN.
      else assert.equal(conn.closeInfo?.errorCode, 0x0b);
    }
  });

  it('a NEW_TOKEN token from server A spares the client a Retry on server B; not with other keys', () => {
    const km = generateKeyMaterial();
    const { token } = firstVisit(server(km));
    for (const [keys, shared] of [
      [km, true],
      [generateKeyMaterial(), false],
    ] as const) {
      const b = server(keys, { retry: true });
      const p = pool([b], () => 0);
      const conn = p.connect({ token });
      assert.ok(p.net.runUntil(() => conn.handshakeComplete, 3_000_000));
      // RFC 9000 §8.1.3: a token that does not validate is ignored, and Retry follows.
      assert.equal(conn.getStats().retry, !shared);
    }
  });

  it('tokens are judged on the wall clock: one dated ahead by a fast clock or expired is refused', () => {
    const km = generateKeyMaterial();
    const HOUR = 3600_000;
    for (const [mintSkew, checkSkew, valid] of [
      [0, 23 * HOUR, true],
      [0, 25 * HOUR, false], // NEW_TOKEN tokens live 24 hours
      [5_000, 0, true], // clocks of a pool may differ by a few seconds
      [60_000, 0, false], // a minute ahead: refused rather than living longer here
    ] as const) {
      const { token } = firstVisit(server(km, { currentTime: () => Date.now() + mintSkew }));
      const b = server(km, { retry: true, currentTime: () => Date.now() + checkSkew });
      const p = pool([b], () => 0);
      const conn = p.connect({ token });
      assert.ok(p.net.runUntil(() => conn.handshakeComplete, 3_000_000));
      assert.equal(
        conn.getStats().retry,
        !valid,
        `minted ${mintSkew} ms ahead, checked ${checkSkew}`,
      );
    }
  });

  it('a server restarted with the same keys resets the old connection at once (stateless reset)', () => {
    const km = generateKeyMaterial();
    for (const [keys, shared] of [
      [km, true],
      [generateKeyMaterial(), false],
    ] as const) {
      const before = server(km);
      const after = server(keys);
      let restarted = false;
      const p = pool([before, after], () => (restarted ? 1 : 0));
      const conn = p.connect({ idleTimeout: 30_000 });
      assert.ok(p.net.runUntil(() => conn.handshakeConfirmed, 3_000_000));
      p.net.runFor(100_000); // NEW_CONNECTION_ID frames with their reset tokens arrive
      restarted = true;
      const start = p.net.now;
      conn.ping();
      p.net.runUntil(() => conn.isClosed || conn.state === 'draining', 60_000_000);
      if (shared) {
        assert.equal(conn.closeInfo?.source, 'stateless_reset');
        assert.ok(p.net.now - start < 100_000, 'within a round trip or so, not an idle timeout');
      } else assert.equal(conn.closeInfo?.source, 'idle_timeout');
    }
  });
});
