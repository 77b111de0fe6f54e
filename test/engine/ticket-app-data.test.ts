/**
 * What a server remembers in its session tickets (src/engine/ticket-app-data.ts): the encoding,
 * the transport limits 0-RTT relies on (RFC 9000 §7.4.1), and, between engines sharing ticket
 * keys, a server whose limits are now lower resuming the session but refusing its early data.
 */
import assert from 'node:assert/strict';
import type { ConnectionOptions } from '../../src/conn/options.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import type { ServerConfig } from '../../src/engine/engine.js';
import {
  decodeTicketAppData,
  encodeTicketAppData,
  reducedTransportLimit,
  type TicketApplication,
} from '../../src/engine/ticket-app-data.js';
import { createEnginePair } from '../../src/testing/pair.js';
import { TicketKeys } from '../../src/tls/ticket-keys.js';
import { defaultTransportParameters } from '../../src/wire/transport-params.js';

function keys(): TicketKeys {
  return new TicketKeys(defaultProvider, { secret: new Uint8Array(32).fill(7) });
}

/** A ticket from a first connection to a server with `ticketKeys` and these options. */
function ticketFrom(
  ticketKeys: TicketKeys,
  connection: Partial<ConnectionOptions> = {},
  server: Partial<ServerConfig> = {},
): Uint8Array {
  const first = createEnginePair({
    server: { ticketKeys, earlyData: true, ...server },
    serverEngine: { connection },
  });
  let ticket: Uint8Array | null = null;
  first.conn.on('sessionTicket', (t) => (ticket = t));
  assert.ok(
    first.net.runUntil(() => ticket !== null, 2_000_000),
    'a ticket arrived',
  );
  return ticket!;
}

/** Resumes with 0-RTT (a stream written before the handshake) against a server so configured. */
function resume(
  ticketKeys: TicketKeys,
  ticket: Uint8Array,
  connection: Partial<ConnectionOptions> = {},
  server: Partial<ServerConfig> = {},
): { resumed: boolean; earlyData: boolean; received: number } {
  const pair = createEnginePair({
    server: { ticketKeys, earlyData: true, ...server },
    serverEngine: { connection },
    client: { session: ticket, earlyData: true },
  });
  pair.conn.openStream(true)!.write(new Uint8Array([1, 2, 3]), true);
  let received = 0;
  assert.ok(
    pair.runUntil(() => {
      const sc = pair.serverConn();
      const s = sc?.getStream(0);
      for (let r = s?.read(); r; r = s?.read()) received += r.data.length;
      return received === 3 && pair.conn.handshakeComplete;
    }, 5_000_000),
    'the request arrived',
  );
  const stats = pair.serverConn()!.getStats();
  return { resumed: stats.resumed, earlyData: stats.earlyDataAccepted, received };
}

describe('ticket app data', () => {
  it('encodes and decodes; anything else reads as null', () => {
    const d = { transportParams: Uint8Array.of(1, 2, 3), application: Uint8Array.of(9) };
    const bytes = encodeTicketAppData(d);
    assert.deepEqual(decodeTicketAppData(bytes), d);
    const empty = { transportParams: new Uint8Array(0), application: new Uint8Array(0) };
    assert.deepEqual(decodeTicketAppData(encodeTicketAppData(empty)), empty);
    assert.equal(decodeTicketAppData(new Uint8Array(0)), null);
    assert.equal(decodeTicketAppData(Uint8Array.of(2, ...bytes.subarray(1))), null, 'version');
    assert.equal(decodeTicketAppData(bytes.subarray(0, bytes.length - 1)), null, 'truncated');
    assert.equal(decodeTicketAppData(Uint8Array.of(...bytes, 0)), null, 'trailing byte');
  });

  it('finds each 0-RTT limit that was lowered, and lets raised ones and others pass', () => {
    const was = defaultTransportParameters();
    Object.assign(was, {
      initialMaxData: 1000,
      initialMaxStreamDataBidiLocal: 100,
      initialMaxStreamDataBidiRemote: 100,
      initialMaxStreamDataUni: 100,
      initialMaxStreamsBidi: 10,
      initialMaxStreamsUni: 3,
      activeConnectionIdLimit: 4,
      maxDatagramFrameSize: 1200,
      maxIdleTimeout: 30_000,
    });
    assert.equal(reducedTransportLimit(was, { ...was }), null);
    const raised = { ...was, initialMaxData: 2000, initialMaxStreamsBidi: 20, maxIdleTimeout: 5 };
    assert.equal(reducedTransportLimit(was, raised), null, 'the idle timeout is no 0-RTT limit');
    const cases: [keyof typeof was, string][] = [
      ['initialMaxData', 'initial_max_data'],
      ['initialMaxStreamDataBidiLocal', 'initial_max_stream_data_bidi_local'],
      ['initialMaxStreamDataBidiRemote', 'initial_max_stream_data_bidi_remote'],
      ['initialMaxStreamDataUni', 'initial_max_stream_data_uni'],
      ['initialMaxStreamsBidi', 'initial_max_streams_bidi'],
      ['initialMaxStreamsUni', 'initial_max_streams_uni'],
      ['activeConnectionIdLimit', 'active_connection_id_limit'],
      ['maxDatagramFrameSize', 'max_datagram_frame_size'],
    ];
    for (const [key, name] of cases) {
      const lower = { ...was, [key]: (was[key] as number) - 1 };
      assert.match(reducedTransportLimit(was, lower) ?? '', new RegExp(`^${name} `), key);
    }
  });

  describe('between servers sharing ticket keys', () => {
    it('the same limits: resumed with 0-RTT accepted', () => {
      const k = keys();
      const r = resume(k, ticketFrom(k, { initialMaxData: 500_000 }), { initialMaxData: 500_000 });
      assert.deepEqual(r, { resumed: true, earlyData: true, received: 3 });
    });

    it('higher limits: 0-RTT accepted', () => {
      const k = keys();
      const r = resume(k, ticketFrom(k, { maxStreamsBidi: 10 }), { maxStreamsBidi: 50 });
      assert.deepEqual(r, { resumed: true, earlyData: true, received: 3 });
    });

    for (const [what, before, after] of [
      ['initial_max_data', { initialMaxData: 500_000 }, { initialMaxData: 400_000 }],
      ['initial_max_streams_bidi', { maxStreamsBidi: 50 }, { maxStreamsBidi: 10 }],
      [
        'initial_max_stream_data',
        { initialMaxStreamData: 200_000 },
        { initialMaxStreamData: 100_000 },
      ],
    ] as const) {
      it(`${what} lowered: resumed, 0-RTT refused, the request arrives in 1-RTT`, () => {
        const k = keys();
        const r = resume(k, ticketFrom(k, before), after);
        assert.deepEqual(r, { resumed: true, earlyData: false, received: 3 });
      });
    }

    it("the application's say: refused when it no longer accepts what the ticket remembered", () => {
      const k = keys();
      const app = (data: number): TicketApplication => ({
        data: Uint8Array.of(data),
        acceptsEarlyData: (remembered, alpn) => {
          assert.equal(alpn, 'test');
          return remembered.length === 1 && remembered[0]! <= data;
        },
      });
      const ticket = ticketFrom(k, {}, { ticketApplication: app(5) });
      const seen: Uint8Array[] = [];
      const accepted = resume(
        k,
        ticket,
        {},
        {
          ticketApplication: app(5),
          // The final hook sees the application's part of the ticket.
          acceptEarlyData: (d) => (seen.push(d), true),
        },
      );
      assert.deepEqual(accepted, { resumed: true, earlyData: true, received: 3 });
      assert.deepEqual(seen, [Uint8Array.of(5)]);
      const refused = resume(k, ticket, {}, { ticketApplication: app(4) });
      assert.deepEqual(refused, { resumed: true, earlyData: false, received: 3 });
    });
  });
});
