/**
 * HTTP/3 SETTINGS remembered in session tickets (src/h3/ticket-settings.ts, RFC 9114 §7.2.4.2,
 * RFC 9204 §3.2.3): their encoding and comparison, and over an in-memory pair of engines sharing
 * ticket keys: a server with the SETTINGS the ticket remembered accepts the client's 0-RTT
 * requests; one with lower SETTINGS resumes the session but refuses the early data, and the
 * requests are answered in 1-RTT.
 */
import assert from 'node:assert/strict';
import type { H3ServerOptions } from '../../src/h3/api/server.js';
import { H3SettingId } from '../../src/h3/frames.js';
import {
  decodeTicketSettings,
  encodeTicketSettings,
  h3TicketApplication,
  settingsChangeForEarlyData,
} from '../../src/h3/ticket-settings.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { TicketKeys } from '../../src/tls/ticket-keys.js';
import { collect, h3Pair, until, type H3Pair } from './connection-helpers.js';
import type { H3RequestHandler } from '../../src/h3/api/server.js';

const CAPACITY = H3SettingId.QPACK_MAX_TABLE_CAPACITY;
const BLOCKED = H3SettingId.QPACK_BLOCKED_STREAMS;
const FIELD_SECTION = H3SettingId.MAX_FIELD_SECTION_SIZE;

const handler: H3RequestHandler = (req, res) => {
  res.writeHead(200, { 'x-path': req.path ?? '' }).end(`hello ${req.path ?? ''}`);
};

describe('HTTP/3 SETTINGS in session tickets', () => {
  it('encode and decode; malformed bytes and repeated identifiers read as null', () => {
    const s = new Map([
      [CAPACITY, 4096],
      [FIELD_SECTION, 2 ** 53],
      [0x33, 1],
    ]);
    assert.deepEqual(decodeTicketSettings(encodeTicketSettings(s)), s);
    assert.deepEqual(decodeTicketSettings(new Uint8Array(0)), new Map());
    assert.equal(decodeTicketSettings(Uint8Array.of(0x01)), null, 'identifier without a value');
    assert.equal(decodeTicketSettings(Uint8Array.of(0x01, 0x01, 0x01, 0x02)), null, 'repeated');
  });

  it('0-RTT holds while limits only grow, the table capacity stays and other values keep', () => {
    const was = new Map<number, number>([
      [CAPACITY, 4096],
      [BLOCKED, 16],
      [FIELD_SECTION, 65536],
    ]);
    assert.equal(settingsChangeForEarlyData(was, new Map(was)), null);
    const grown = new Map([
      [CAPACITY, 4096],
      [BLOCKED, 100],
      [FIELD_SECTION, 1 << 20],
    ]);
    assert.equal(settingsChangeForEarlyData(was, grown), null);
    const change = (id: number, v: number | undefined): string | null => {
      const now = new Map(was);
      if (v === undefined) now.delete(id);
      else now.set(id, v);
      return settingsChangeForEarlyData(was, now);
    };
    assert.match(change(BLOCKED, 8) ?? '', /0x7 reduced from 16 to 8/);
    assert.match(change(BLOCKED, undefined) ?? '', /reduced from 16 to 0/, 'absent is 0');
    assert.match(change(FIELD_SECTION, 1024) ?? '', /0x6 reduced/);
    assert.equal(change(FIELD_SECTION, undefined), null, 'absent is unlimited');
    assert.match(change(CAPACITY, 8192) ?? '', /capacity 4096 changed to 8192/);
    assert.match(change(CAPACITY, undefined) ?? '', /capacity 4096 changed to 0/);
    assert.match(change(0x33, 1) ?? '', /0x33 changed from 0 to 1/, 'another setting appears');
    // A ticket from a server that used no dynamic table: any capacity now.
    const noTable = new Map([[FIELD_SECTION, 65536]]);
    assert.equal(settingsChangeForEarlyData(noTable, was), null);
    // A field section limit now where the ticket remembered none is a reduction.
    assert.match(settingsChangeForEarlyData(new Map(), was) ?? '', /0x6 reduced from Infinity/);
  });

  it("h3TicketApplication judges h3 tickets by the server's SETTINGS, and leaves others be", () => {
    const app = h3TicketApplication({ maxFieldSectionSize: 16384 });
    assert.deepEqual(
      decodeTicketSettings(app.data),
      new Map([
        [CAPACITY, 4096],
        [BLOCKED, 16],
        [FIELD_SECTION, 16384],
      ]),
    );
    assert.equal(app.acceptsEarlyData(app.data, 'h3'), true);
    const before = h3TicketApplication().data;
    assert.equal(app.acceptsEarlyData(before, 'h3'), false, '65536 lowered to 16384');
    assert.equal(app.acceptsEarlyData(before, 'hq-interop'), true);
    assert.equal(app.acceptsEarlyData(Uint8Array.of(0x40), 'h3'), false, 'malformed');
  });

  describe('0-RTT between two servers sharing ticket keys', function () {
    this.timeout(60_000);
    const ticketKeys = new TicketKeys(defaultProvider, { secret: new Uint8Array(32).fill(3) });

    function pair(
      server: H3ServerOptions,
      client: { session?: Uint8Array; settings?: ReadonlyMap<number, number> } = {},
    ): H3Pair & { ticket: () => Uint8Array | null; settings: () => ReadonlyMap<number, number> } {
      let ticket: Uint8Array | null = null;
      let settings: ReadonlyMap<number, number> = new Map();
      const h = h3Pair(handler, {
        server,
        serverConfig: {
          ticketKeys,
          earlyData: true,
          ticketApplication: h3TicketApplication(server),
        },
        quic: client.session ? { session: client.session, earlyData: true } : {},
        client: {
          ...(client.settings ? { rememberedSettings: client.settings } : {}),
          onSettings: (s) => (settings = s),
        },
      });
      h.pair.conn.on('sessionTicket', (t) => (ticket = t));
      return Object.assign(h, { ticket: () => ticket, settings: () => settings });
    }

    /** A first connection to a server with `server` SETTINGS: the ticket and SETTINGS it gave. */
    async function firstVisit(
      server: H3ServerOptions,
    ): Promise<{ session: Uint8Array; settings: ReadonlyMap<number, number> }> {
      const h = pair(server);
      const res = await until(h, h.client.request({ path: '/first' }));
      assert.equal(
        await until(
          h,
          collect(res.body).then((b) => Buffer.from(b).toString()),
        ),
        'hello /first',
      );
      await until(
        h,
        new Promise<void>((resolve) => {
          const check = (): void => (h.ticket() !== null ? resolve() : void setImmediate(check));
          check();
        }),
      );
      return { session: h.ticket()!, settings: h.settings() };
    }

    /** Resumes with requests made before the handshake (0-RTT), against `server` SETTINGS. */
    async function resume(
      visit: { session: Uint8Array; settings: ReadonlyMap<number, number> },
      server: H3ServerOptions,
    ): Promise<{ earlyData: 'accepted' | 'rejected' | string; bodies: string[] }> {
      const h = pair(server, { session: visit.session, settings: visit.settings });
      const requests = ['/a', '/b', '/c'].map((path) =>
        h.client.request({ path, headers: { 'x-custom': 'same value each time' } }),
      );
      const bodies: string[] = [];
      for (const r of requests) {
        const res = await until(h, r);
        assert.equal(res.status, 200);
        bodies.push(Buffer.from(await until(h, collect(res.body))).toString());
      }
      const server0 = h.serverConn!;
      // The server's view: the client's 0-RTT stream data was accepted (or not).
      assert.equal(server0.getStats().resumed, true, 'the session was resumed');
      const state = h.pair.conn.earlyDataState;
      // Accepted counts only with request data sent in 0-RTT packets (the client's stats).
      const earlyData =
        state === 'accepted' && !h.pair.conn.getStats().earlyDataAccepted
          ? 'accepted, but no request went in 0-RTT'
          : state;
      return { earlyData, bodies };
    }

    const answered = ['hello /a', 'hello /b', 'hello /c'];

    it('the same SETTINGS: 0-RTT accepted, the requests answered', async () => {
      const visit = await firstVisit({});
      assert.equal(visit.settings.get(FIELD_SECTION), 65536);
      const r = await resume(visit, {});
      assert.deepEqual(r, { earlyData: 'accepted', bodies: answered });
    });

    it('higher limits: 0-RTT accepted', async () => {
      const visit = await firstVisit({ qpackBlockedStreams: 8 });
      const r = await resume(visit, { qpackBlockedStreams: 32, maxFieldSectionSize: 1 << 20 });
      assert.deepEqual(r, { earlyData: 'accepted', bodies: answered });
    });

    it('a lower SETTINGS_MAX_FIELD_SECTION_SIZE: 0-RTT rejected, the requests answered in 1-RTT', async () => {
      const visit = await firstVisit({});
      const r = await resume(visit, { maxFieldSectionSize: 16384 });
      assert.deepEqual(r, { earlyData: 'rejected', bodies: answered });
    });
  });
});
