/**
 * The engine issues its connection IDs through a QUIC-LB configuration: every CID a client can
 * address the server with (the Retry's SCID, the handshake SCID, NEW_CONNECTION_ID, the
 * preferred address) decodes to the server's ID, so a load balancer routes every datagram after
 * the client's first Initial, also after the client migrates.
 */
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { QuicLbDecoder } from '../../src/lb/decoder.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { addressKey } from '../../src/util/address.js';
import { PAIR_CLIENT_ADDRESS, createEnginePair } from '../../src/testing/pair.js';
import { transfer } from '../scenario/transfer-kit.js';

const LB = {
  configId: 2,
  serverIdLength: 3,
  nonceLength: 6,
  key: fromHex('8f95f09245765f80256934e50c66207f'),
};
const SERVER_ID = fromHex('a1b2c3');
const PREFERRED = { address: '10.0.0.9', port: 4433 };
const NEW_LOCAL = { address: PAIR_CLIENT_ADDRESS.address, port: 50001 };

describe('engine: QUIC-LB connection IDs', function () {
  this.timeout(30_000);

  it('every CID the server issues routes to its server ID (Retry, handshake, NEW_CONNECTION_ID, preferred address, migration)', () => {
    const p = createEnginePair({
      conditions: { delay: 5_000 },
      serverEngine: { quicLb: { ...LB, serverId: SERVER_ID } },
      server: { retry: true, preferredAddress: { ipv4: PREFERRED } },
    });
    assert.equal(p.server.cidLength, 10);
    const decoder = new QuicLbDecoder([LB], defaultProvider);
    const firstDcid = toHex(p.conn.peerCids.current.cid);
    const routed = new Set<string>();
    let unroutable = 0;
    let clientDatagrams = 0;
    let serverLongScids = 0;
    p.net.onSend = (data, from) => {
      if (addressKey(from).startsWith(`${PAIR_CLIENT_ADDRESS.address}|`)) {
        clientDatagrams++;
        const r = decoder.route(data);
        if (r) routed.add(toHex(r.serverId));
        // Only the client's own first DCID (its first Initial) may be unroutable.
        else if (!(data[0]! & 0x80) || toHex(data.subarray(6, 6 + data[5]!)) !== firstDcid)
          unroutable++;
      } else if (data[0]! & 0x80) {
        // Long headers from the server: the SCID (Retry, Initial, Handshake) is a QUIC-LB CID.
        const dl = data[5]!;
        const scid = data.subarray(7 + dl, 7 + dl + data[6 + dl]!);
        assert.equal(toHex(decoder.decode(scid)!.serverId), 'a1b2c3');
        serverLongScids++;
      }
    };
    // Migrate once the transfer is under way (RFC 9000 §9.2: after the handshake is confirmed).
    let migrated = false;
    const step = p.net.step.bind(p.net);
    p.net.step = (limit?: number) => {
      const sc = p.serverConn();
      if (!migrated && sc && sc.getStats().bytesReceived > 100_000)
        migrated = p.conn.migrate(NEW_LOCAL);
      return step(limit);
    };
    const r = transfer(p, 300_000, 300_000);
    assert.ok(r.done, 'the transfer completes');
    const sc = p.serverConn()!;
    assert.equal(p.conn.getStats().retry, true, 'the server demanded Retry');
    assert.equal(p.conn.localAddress.port, NEW_LOCAL.port, 'the client migrated');
    for (const c of sc.localCids.all())
      assert.equal(toHex(decoder.decode(c.cid)!.serverId), 'a1b2c3');
    assert.ok(sc.localCids.all().length >= 3);
    const pa = p.conn.peerParams?.preferredAddress;
    assert.ok(pa);
    assert.equal(toHex(decoder.decode(pa.connectionId)!.serverId), 'a1b2c3');
    assert.ok(clientDatagrams > 50, `${clientDatagrams} client datagrams`);
    assert.ok(serverLongScids >= 2, `${serverLongScids} server long headers`);
    assert.equal(unroutable, 0);
    assert.deepEqual([...routed], ['a1b2c3']);
  });

  it('rejects a cidGenerator beside quicLb and a cidLength that disagrees', () => {
    const quicLb = { ...LB, serverId: SERVER_ID };
    assert.throws(() => new Engine({ quicLb, cidGenerator: () => new Uint8Array(10) }), TypeError);
    assert.throws(() => new Engine({ quicLb, cidLength: 8 }), RangeError);
    assert.equal(new Engine({ quicLb, cidLength: 10 }).cidLength, 10);
    assert.throws(() => new Engine({ quicLb: { ...quicLb, serverId: fromHex('01') } }), RangeError);
  });
});
