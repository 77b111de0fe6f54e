/**
 * 0-RTT anti-replay (RFC 8446 §8, RFC 9001 §9.2). A client's first flight - ClientHello with a
 * PSK and early_data, and 0-RTT packets - is captured and replayed as a new connection: to a
 * second server (worker) sharing the ticket keys, or to the same server once the first
 * connection is gone. With a shared single-use store the replay is refused early data; the
 * legitimate client, refused, falls back to 1-RTT and its request still arrives. Also: 0-RTT
 * switched off per server, and the acceptEarlyData, selectAlpn and accept hooks.
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { Engine, type ServerConfig } from '../../src/engine/engine.js';
import { Network } from '../../src/testing/network.js';
import { MemoryAntiReplayStore } from '../../src/tls/anti-replay.js';
import type { ClientHelloPeek } from '../../src/tls/client-hello-peek.js';
import { TicketKeys } from '../../src/tls/ticket-keys.js';
import { addressKey } from '../../src/util/address.js';
import { encodeTransportParameters } from '../../src/wire/transport-params.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
  testCertificate,
} from '../../src/testing/pair.js';

const ATTACKER_ADDR = { address: '10.0.0.66', port: 6666 };
const REQUEST = [1, 2, 3];

/** A ticket allowing 0-RTT, from a first connection to a server with `ticketKeys`. */
function earlyDataTicket(ticketKeys: TicketKeys): Uint8Array {
  const first = createEnginePair({ server: { ticketKeys, earlyData: true } });
  let ticket: Uint8Array | null = null;
  first.conn.on('sessionTicket', (t) => (ticket = t));
  assert.ok(
    first.net.runUntil(() => ticket !== null, 2_000_000),
    'a ticket arrived',
  );
  return ticket!;
}

function server(ticketKeys: TicketKeys, extra: Partial<ServerConfig> = {}): Engine {
  const { cert } = testCertificate();
  return new Engine({
    server: { alpn: ['test'], certificate: cert, ticketKeys, earlyData: true, ...extra },
  });
}

interface Resumed {
  net: Network;
  conn: Connection;
  /** The client's datagrams sent at time 0: its first flight, ClientHello and 0-RTT. */
  flight: Uint8Array[];
  /** The request as the server read it, and the server's connection. */
  received: () => number[];
  serverConn: () => Connection | null;
}

/**
 * A resuming client sending REQUEST as 0-RTT to `target` over the in-memory network; its first
 * flight is captured (and handed to `onFlight` as it leaves, before the server sees it).
 */
function resume(
  target: Engine,
  ticket: Uint8Array,
  onFlight: (d: Uint8Array) => void = () => {},
): Resumed {
  const { ca } = testCertificate();
  const net = new Network({ seed: 5 });
  const client = new Engine();
  net.addEndpoint('server', target, PAIR_SERVER_ADDRESS);
  net.addEndpoint('client', client, PAIR_CLIENT_ADDRESS);
  const flight: Uint8Array[] = [];
  net.onSend = (d, from) => {
    if (addressKey(from) !== addressKey(PAIR_CLIENT_ADDRESS) || net.now !== 0) return;
    flight.push(d.slice());
    onFlight(d.slice());
  };
  const conn = client.connect(
    PAIR_SERVER_ADDRESS,
    {
      alpn: ['test'],
      serverName: 'localhost',
      ca: [ca],
      local: PAIR_CLIENT_ADDRESS,
      session: ticket,
      earlyData: true,
    },
    net.now,
  );
  conn.openStream(true)!.write(new Uint8Array(REQUEST), true);
  let got: number[] = [];
  let sc: Connection | null = null;
  const serverConn = (): Connection | null => {
    if (sc === null) {
      sc = target.accept();
      const drain = (): void => {
        const s = sc!.getStream(0);
        for (let r = s?.read(); r; r = s?.read()) got = [...got, ...r.data];
      };
      sc?.on('readable', drain);
      if (sc) drain();
    }
    return sc;
  };
  return { net, conn, flight, received: () => got, serverConn };
}

function complete(r: Resumed): boolean {
  return r.net.runUntil(
    () =>
      r.serverConn() !== null && r.received().length === REQUEST.length && r.conn.handshakeComplete,
    5_000_000,
  );
}

/** Feeds datagrams to `engine` as a new client at ATTACKER_ADDR; the connection it made. */
function replay(engine: Engine, datagrams: readonly Uint8Array[], now: number): Connection {
  for (const d of datagrams)
    engine.handleDatagram(d.slice(), PAIR_SERVER_ADDRESS, ATTACKER_ADDR, now);
  const c = engine.accept();
  assert.ok(c, 'the replay made a connection');
  return c;
}

describe('scenario: 0-RTT anti-replay', () => {
  const ticketKeys = new TicketKeys(defaultProvider);
  const ticket = earlyDataTicket(ticketKeys);

  it('without replay: 0-RTT accepted (the baseline the tests below depend on)', () => {
    const r = resume(server(ticketKeys), ticket);
    assert.ok(complete(r));
    assert.deepEqual(r.received(), REQUEST);
    assert.equal(r.conn.getStats().earlyDataAccepted, true);
    assert.equal(r.serverConn()!.getStats().earlyDataAccepted, true);
  });

  it('a flight replayed to another worker sharing the store first: the client falls back to 1-RTT', () => {
    const store = new MemoryAntiReplayStore();
    const workerA = server(ticketKeys, { antiReplay: store });
    const workerB = server(ticketKeys, { antiReplay: store });
    // The attacker's copy reaches worker A before the original reaches worker B.
    const copies: Uint8Array[] = [];
    const r = resume(workerB, ticket, (d) => copies.push(d));
    r.net.runFor(1_000); // the client's first flight leaves
    const attacker = replay(workerA, copies, 0);
    assert.equal(attacker.getStats().earlyDataAccepted, true, 'the first to arrive is accepted');
    assert.ok(complete(r), 'the client completes in 1-RTT');
    assert.deepEqual(r.received(), REQUEST, 'its request arrives, in 1-RTT');
    assert.equal(r.conn.getStats().earlyDataAccepted, false);
    assert.equal(r.serverConn()!.getStats().earlyDataAccepted, false);
    assert.equal(store.size, 1);
  });

  it('control: workers with separate stores both accept the same 0-RTT flight', () => {
    const workerA = server(ticketKeys);
    const workerB = server(ticketKeys);
    const copies: Uint8Array[] = [];
    const r = resume(workerB, ticket, (d) => copies.push(d));
    r.net.runFor(1_000);
    assert.equal(replay(workerA, copies, 0).getStats().earlyDataAccepted, true);
    assert.ok(complete(r));
    assert.equal(r.serverConn()!.getStats().earlyDataAccepted, true);
  });

  it('the same server, once the first connection is gone: the replay is refused 0-RTT', () => {
    const target = server(ticketKeys); // its own default store
    const r = resume(target, ticket);
    assert.ok(complete(r));
    assert.equal(r.serverConn()!.getStats().earlyDataAccepted, true);
    r.serverConn()!.close(0, 'done');
    r.net.runUntil(() => target.connectionCount === 0, 5_000_000);
    assert.equal(target.connectionCount, 0);
    const again = replay(target, r.flight, r.net.now);
    assert.equal(again.getStats().earlyDataAccepted, false);
    assert.equal(again.state, 'handshake', 'the replay gets a 1-RTT handshake it cannot finish');
  });

  it('0-RTT switched off on the server: refused, the request arrives in 1-RTT', () => {
    const r = resume(server(ticketKeys, { earlyData: false }), ticket);
    assert.ok(complete(r));
    assert.deepEqual(r.received(), REQUEST);
    assert.equal(r.conn.getStats().earlyDataAccepted, false);
    assert.equal(r.conn.getStats().resumed, true);
  });

  it('a store that fails counts as a replay: 0-RTT refused, the handshake completes', async () => {
    const stores = [
      {
        checkAndRecord: (): boolean => {
          throw new Error('down');
        },
      },
      { checkAndRecord: (): Promise<boolean> => Promise.reject(new Error('down')) },
    ];
    for (const antiReplay of stores) {
      const r = resume(server(ticketKeys, { antiReplay }), ticket);
      // A promise settles between datagrams: let it, then run on.
      r.net.runFor(20_000);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(complete(r));
      assert.deepEqual(r.received(), REQUEST);
      assert.equal(r.conn.getStats().earlyDataAccepted, false);
    }
  });

  it('acceptEarlyData sees the SNI and ALPN and has the final say', () => {
    const seen: { serverName: string | null; alpn: string }[] = [];
    const r = resume(
      server(ticketKeys, {
        acceptEarlyData: (_appData, info) => {
          seen.push(info);
          return false;
        },
      }),
      ticket,
    );
    assert.ok(complete(r));
    assert.deepEqual(seen, [{ serverName: 'localhost', alpn: 'test' }]);
    assert.equal(r.conn.getStats().earlyDataAccepted, false);
  });
});

describe('scenario: server hooks before and during the handshake', () => {
  it('selectAlpn picks among the client offer', () => {
    let offered: readonly string[] = [];
    const p = createEnginePair({
      server: {
        alpn: ['test'],
        selectAlpn: (list, sni) => {
          offered = list;
          return sni === 'localhost' ? 'b' : null;
        },
      },
      client: { alpn: ['a', 'b'] },
    });
    assert.ok(p.net.runUntil(() => p.conn.handshakeConfirmed, 2_000_000));
    assert.deepEqual(offered, ['a', 'b']);
    assert.equal(p.conn.alpn, 'b');
  });

  for (const groups of [undefined, ['x25519' as const]]) {
    const split = groups === undefined;
    it(`the accept hook sees SNI and ALPN (ClientHello ${split ? 'in two packets' : 'in one'})`, () => {
      const hellos: (ClientHelloPeek | null)[] = [];
      const p = createEnginePair({
        server: {
          accept: (_remote, _validated, hello) => {
            hellos.push(hello);
            return hello?.serverName === 'localhost' && hello.alpn?.includes('test') === true
              ? 'accept'
              : 'refuse';
          },
        },
        client: groups ? { groups: [...groups] } : {},
      });
      assert.ok(p.net.runUntil(() => p.conn.handshakeConfirmed, 2_000_000));
      assert.equal(hellos.length, 1);
      const { transportParameters, ...hello } = hellos[0]!;
      assert.deepEqual(hello, { serverName: 'localhost', alpn: ['test'], complete: !split });
      // Before the key shares, so in the first packet either way (RFC 9368 §2.3).
      assert.deepEqual(
        transportParameters,
        encodeTransportParameters(p.conn.localParams, 'client'),
      );
    });
  }

  it('the accept hook can refuse by SNI before any state is kept', () => {
    const p = createEnginePair({
      server: { accept: (_r, _v, hello) => (hello?.serverName === 'other' ? 'accept' : 'refuse') },
    });
    let code = -1;
    p.conn.on('close', (i) => (code = i.errorCode));
    p.net.runUntil(() => code !== -1, 10_000_000);
    assert.equal(code, 0x02, 'CONNECTION_REFUSED');
    assert.equal(p.server.connectionCount, 0);
  });
});
