import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import type { CidHost } from '../../src/conn/cids.js';
import {
  newLocalCids,
  newMultipath,
  newSpaces,
  newStreamMap,
  newVersionNegotiation,
} from '../../src/conn/connection-init.js';
import { resolveOptions } from '../../src/conn/options.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import type { StreamMapEvents } from '../../src/stream/stream-map.js';
import { defaultTransportParameters } from '../../src/wire/transport-params.js';

const host: CidHost = {
  newCid: () => ({ cid: new Uint8Array(8).fill(9), resetToken: new Uint8Array(16) }),
  onCidRetired: () => {},
};
const provider = { random: (n: number) => new Uint8Array(n).fill(0x5a) } as CryptoProvider;
const CID = new Uint8Array(8).fill(1);
const TOKEN = new Uint8Array(16).fill(2);
const PA = {
  ipv4: { address: '10.0.0.9', port: 4433 },
  cid: new Uint8Array(8).fill(3),
  resetToken: new Uint8Array(16).fill(4),
};

describe('conn/connection-init: the components a new connection starts with', () => {
  it('three packet-number spaces in order, none discarded', () => {
    const spaces = newSpaces(resolveOptions({ alpn: ['t'], maxAckDelay: 10 }));
    assert.deepEqual(
      spaces.map((s) => s.space),
      [PnSpace.Initial, PnSpace.Handshake, PnSpace.Application],
    );
    assert.ok(spaces.every((s) => !s.discarded));
  });

  it('version negotiation offers the versions given, plus a grease version (RFC 9368 §3)', () => {
    const vn = newVersionNegotiation(provider, true, { version: 1, versions: [1, 0x6b3343cf] });
    assert.equal(vn.original, 1);
    const info = vn.localInfo(1);
    assert.deepEqual(info.availableVersions.slice(0, 2), [1, 0x6b3343cf]);
    const grease = info.availableVersions[2]!;
    assert.equal(grease & 0x0f0f0f0f, 0x0a0a0a0a, 'a reserved version (RFC 9000 §15)');
    // Without a list: the version in use alone.
    assert.deepEqual(newVersionNegotiation(provider, true, { version: 1 }).preferences, [1]);
  });

  it("our first CID; a server's preferred-address CID as sequence 1 (RFC 9000 §5.1.1)", () => {
    const init = { localCid: CID, localResetToken: TOKEN, preferredAddress: PA };
    const server = newLocalCids(host, false, init);
    assert.deepEqual(
      server.all().map((c) => [c.sequence, c.cid[0]]),
      [
        [0, 1],
        [1, 3],
      ],
    );
    const client = newLocalCids(host, true, init);
    assert.deepEqual(
      client.all().map((c) => c.sequence),
      [0],
    );
  });

  it('multipath only when the option is on', () => {
    assert.equal(newMultipath(host, resolveOptions({ alpn: ['t'] })), null);
    const mp = newMultipath(host, resolveOptions({ alpn: ['t'], multipath: { maxPathId: 3 } }));
    assert.ok(mp !== null);
    assert.equal(mp.enabled, false, 'until the peer negotiates it');
    assert.equal(mp.localMaxPathId, 3);
  });

  it('the stream map numbers the streams of its side (RFC 9000 §2.1)', () => {
    const local = defaultTransportParameters();
    const noop = (): void => {};
    const events = new Proxy({}, { get: () => noop }) as StreamMapEvents;
    const client = newStreamMap(true, local, resolveOptions({ alpn: ['t'] }), events);
    client.setPeerTransportParams({ ...local, initialMaxStreamsBidi: 1, initialMaxStreamsUni: 1 });
    assert.equal(client.open(true)?.id, 0);
    assert.equal(client.open(false)?.id, 2);
    assert.equal(client.open(true), null, "the peer's limit of one");
    const server = newStreamMap(false, local, resolveOptions({ alpn: ['t'] }), events);
    server.setPeerTransportParams({ ...local, initialMaxStreamsBidi: 1 });
    assert.equal(server.open(true)?.id, 1);
  });
});
