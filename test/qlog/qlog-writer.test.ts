import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import {
  frameToQlog,
  sentFrameToQlog,
  transportParametersToQlog,
} from '../../src/conn/qlog-frames.js';
import { QlogWriter, qlogWriterFactory, type QlogFormat } from '../../src/conn/qlog-writer.js';
import { defaultTransportParameters } from '../../src/wire/transport-params.js';
import { validateQlog, validateQuicFrame } from './validate.js';
import { fromHex } from '../../src/util/bytes.js';
import { ALL_KINDS, randomFrame } from '../wire/random-frames.js';
import { Rng } from '../wire/random.js';
import type { LinkConditions } from '../../src/testing/network.js';
import {
  InitialFlood,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
  testCertificate,
} from '../../src/testing/index.js';
import { Network } from '../../src/testing/network.js';
import { Engine } from '../../src/engine/engine.js';

const WALL_CLOCK = '2026-12-06T22:00:00.000Z';
const SERVER = PAIR_SERVER_ADDRESS;
const CLIENT = PAIR_CLIENT_ADDRESS;

type Json = Record<string, unknown>;
interface QlogEvent {
  time: number;
  name: string;
  data: Json;
}
interface Trace {
  header: Json;
  events: QlogEvent[];
}

/**
 * Parses JSON-SEQ as qvis does: records separated by 0x1E, the first one the header. Every
 * trace is validated against the drafts' definitions (validate.ts) first.
 */
function parseJsonSeq(text: string, format: QlogFormat = 'ietf'): Trace {
  assert.deepEqual(validateQlog(text, format).slice(0, 10), [], 'the trace validates');
  assert.equal(text[0], '\x1e', 'a JSON-SEQ file starts with the Record Separator');
  const records = text.split('\x1e').slice(1);
  for (const r of records) assert.ok(r.endsWith('\n'), 'every record ends with a newline');
  const parsed = records.map((r) => JSON.parse(r) as Json);
  const header = parsed.shift()!;
  return { header, events: parsed as unknown as QlogEvent[] };
}

interface QlogPair {
  net: Network;
  client: Connection;
  server: () => Connection;
  /** The text each side's writer produced, by role. */
  text: Record<'client' | 'server', string>;
  closed: Record<'client' | 'server', number>;
}

function qlogPair(conditions: LinkConditions = {}, seed = 1, format?: QlogFormat): QlogPair {
  const text = { client: '', server: '' };
  const closed = { client: 0, server: 0 };
  const qlog = (traceId: string, role: 'client' | 'server'): QlogWriter =>
    new QlogWriter({
      role,
      traceId,
      write: (chunk) => (text[role] += chunk),
      onClose: () => closed[role]++,
      wallClockTime: WALL_CLOCK,
      ...(format !== undefined ? { format } : {}),
    });
  const p = createEnginePair({
    seed,
    conditions,
    alpn: ['q'],
    serverEngine: { qlog },
    clientEngine: { qlog },
  });
  return { net: p.net, client: p.conn, server: () => p.serverConn()!, text, closed };
}

/** Handshake, then `bytes` from the client to the server on one stream (read as they arrive). */
function transfer(p: QlogPair, bytes: number): void {
  assert.ok(p.net.runUntil(() => p.client.handshakeConfirmed));
  let received = 0;
  let fin = false;
  p.server().on('readable', (s) => {
    for (let r = s.read(); r; r = s.read()) {
      received += r.data.length;
      if (r.fin) fin = true;
    }
  });
  const s = p.client.openStream(true)!;
  const data = new Uint8Array(bytes).fill(7);
  let off = 0;
  const push = (): void => {
    while (off < bytes) {
      const n = s.write(data.subarray(off), true);
      if (n === 0) return;
      off += n;
    }
  };
  p.client.on('writable', push);
  push();
  assert.ok(p.net.runUntil(() => fin && received === bytes, 120_000_000));
}

/** "initial" / "handshake" / "app" for a packet type, the packet number space it counts in. */
function spaceOf(packetType: unknown): string {
  return packetType === 'initial' || packetType === 'handshake' ? packetType : 'app';
}

function packetKeys(events: QlogEvent[], name: string): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    if (e.name !== name) continue;
    const h = e.data['header'] as Json;
    out.add(`${spaceOf(h['packet_type'])}:${String(h['packet_number'])}`);
  }
  return out;
}

describe('qlog writer (JSON-SEQ)', () => {
  it('writes the header of main-schema-14 and quic-13 events for both sides', () => {
    const p = qlogPair({ delay: 5_000 });
    transfer(p, 200_000);
    for (const role of ['client', 'server'] as const) {
      const { header, events } = parseJsonSeq(p.text[role]);
      assert.equal(header['file_schema'], 'urn:ietf:params:qlog:file:sequential');
      assert.equal(header['serialization_format'], 'application/qlog+json-seq');
      assert.equal(header['qlog_version'], undefined, 'no field of the older drafts');
      const trace = header['trace'] as Json;
      assert.deepEqual(trace['event_schemas'], [
        'urn:ietf:params:qlog:events:quic-13',
        'urn:ietf:params:qlog:events:http3-13',
      ]);
      assert.deepEqual((trace['vantage_point'] as Json)['type'], role);
      const common = trace['common_fields'] as Json;
      assert.equal(common['ODCID'], p.client.traceId);
      assert.equal(common['group_id'], p.client.traceId);
      assert.deepEqual(common['reference_time'], {
        clock_type: 'monotonic',
        epoch: 'unknown',
        wall_clock_time: WALL_CLOCK,
      });
      assert.ok(events.length > 20);
      assert.equal(events[0]!.name, 'quic:connection_started');
      assert.equal(events[0]!.time, 0);
      for (const e of events) assert.match(e.name, /^quic:[a-z_]+$/);
      const first = (name: string, pred: (d: Json) => boolean = () => true): Json | undefined =>
        events.find((e) => e.name === name && pred(e.data))?.data;
      // The versions of our version_information: v1 and v2, then a greased one (RFC 9368 §3).
      const info = first('quic:version_information') as Record<string, unknown>;
      assert.equal(info['chosen_version'], '00000001');
      const versions = info[role === 'client' ? 'client_versions' : 'server_versions'] as string[];
      assert.deepEqual(versions.slice(0, 2), ['00000001', '6b3343cf']);
      assert.match(versions[2]!, /^[0-9a-f]a[0-9a-f]a[0-9a-f]a[0-9a-f]a$/);
      assert.equal(versions.length, 3);
      for (const initiator of ['local', 'remote']) {
        const params = first('quic:parameters_set', (d) => d['initiator'] === initiator);
        assert.equal(typeof params?.['initial_max_data'], 'number', `${initiator} parameters`);
      }
      assert.ok(first('quic:parameters_set', (d) => typeof d['tls_cipher'] === 'string'));
      assert.deepEqual(first('quic:alpn_information'), { chosen_alpn: { string_value: 'q' } });
      // The client's stream 0 opens and ends on both sides, as the frames show it.
      const side = role === 'client' ? 'sending' : 'receiving';
      const stream = events
        .filter((e) => e.name === 'quic:stream_state_updated' && e.data['stream_id'] === 0)
        .map((e) => [e.data['stream_side'], e.data['new']]);
      assert.deepEqual(stream, [
        [side, 'open'],
        [side, role === 'client' ? 'data_sent' : 'size_known'],
      ]);
      const datagrams = events.filter((e) => e.name === 'quic:udp_datagrams_sent');
      const packets = events.filter((e) => e.name === 'quic:packet_sent');
      assert.ok(datagrams.length > 0 && datagrams.length <= packets.length);
      for (const e of events.filter(
        (x) => x.name === 'quic:packet_sent' || x.name === 'quic:packet_received',
      )) {
        const h = e.data['header'] as Json;
        assert.ok(['initial', 'handshake', '0RTT', '1RTT'].includes(String(h['packet_type'])));
        assert.equal(typeof h['packet_number'], 'number');
        assert.ok(((e.data['raw'] as Json)['length'] as number) >= 20);
        assert.ok(Array.isArray(e.data['frames']));
      }
      const started = events[0]!.data;
      const local = started['local'] as Json;
      assert.equal(local['ip_v4'], role === 'client' ? CLIENT.address : SERVER.address);
      // Initial and Handshake keys of both directions are discarded during the handshake.
      const discarded = events
        .filter((e) => e.name === 'quic:key_discarded')
        .map((e) => e.data['key_type']);
      for (const k of [
        'client_initial_secret',
        'server_initial_secret',
        'client_handshake_secret',
        'server_handshake_secret',
      ]) {
        assert.ok(discarded.includes(k), `${role}: ${k} discarded`);
      }
    }
  });

  it('every packet one side sent appears as received by the other (no loss)', () => {
    const p = qlogPair({ delay: 5_000 });
    transfer(p, 300_000);
    p.net.runFor(200_000); // the last ACKs land
    const client = parseJsonSeq(p.text.client).events;
    const server = parseJsonSeq(p.text.server).events;
    for (const [from, to, name] of [
      [client, server, 'client'],
      [server, client, 'server'],
    ] as const) {
      const sent = packetKeys(from, 'quic:packet_sent');
      const received = packetKeys(to, 'quic:packet_received');
      assert.ok(sent.size > 10);
      const missing = [...sent].filter((k) => !received.has(k));
      assert.deepEqual(missing, [], `${name} packets never logged as received`);
    }
  });

  it('describes frames: STREAM data sent and received, ACK ranges, CRYPTO in the handshake', () => {
    const p = qlogPair({ delay: 5_000 });
    transfer(p, 50_000);
    const client = parseJsonSeq(p.text.client).events;
    const server = parseJsonSeq(p.text.server).events;
    const frames = (events: QlogEvent[], name: string): Json[] =>
      events.filter((e) => e.name === name).flatMap((e) => e.data['frames'] as Json[]);
    const sentStream = frames(client, 'quic:packet_sent').filter(
      (f) => f['frame_type'] === 'stream',
    );
    const recvStream = frames(server, 'quic:packet_received').filter(
      (f) => f['frame_type'] === 'stream',
    );
    const bytes = (fs: Json[]): number =>
      fs.reduce((n, f) => n + ((f['raw'] as Json)['length'] as number), 0);
    assert.equal(bytes(sentStream), 50_000);
    assert.equal(bytes(recvStream), 50_000);
    assert.ok(recvStream.every((f) => f['stream_id'] === 0));
    assert.ok(recvStream.some((f) => f['fin'] === true));
    const acks = frames(client, 'quic:packet_received').filter((f) => f['frame_type'] === 'ack');
    assert.ok(acks.length > 0);
    for (const a of acks) {
      const ranges = a['acked_ranges'] as number[][];
      assert.ok(ranges.length > 0);
      for (const r of ranges) assert.ok(r.length === 1 || (r.length === 2 && r[0]! <= r[1]!));
      assert.equal(typeof a['ack_delay'], 'number');
    }
    const crypto = frames(server, 'quic:packet_received').filter(
      (f) => f['frame_type'] === 'crypto',
    );
    assert.ok(crypto.length > 0, 'the ClientHello arrives in CRYPTO frames');
  });

  it('logs recovery metrics and congestion state changes', () => {
    const p = qlogPair({ delay: 10_000, rate: 20_000_000 });
    transfer(p, 400_000);
    const client = parseJsonSeq(p.text.client).events;
    const metrics = client.filter((e) => e.name === 'quic:recovery_metrics_updated');
    assert.ok(metrics.length > 5);
    const seen = new Set(metrics.flatMap((m) => Object.keys(m.data)));
    for (const k of [
      'smoothed_rtt',
      'min_rtt',
      'latest_rtt',
      'rtt_variance',
      'congestion_window',
      'bytes_in_flight',
    ]) {
      assert.ok(seen.has(k), `metrics_updated never carried ${k}`);
    }
    const srtt = metrics.map((m) => m.data['smoothed_rtt']).filter((v) => v !== undefined);
    // About 20 ms of RTT (10 ms each way, plus serialization at 20 Mbit/s).
    assert.ok((srtt[srtt.length - 1] as number) >= 19 && (srtt[srtt.length - 1] as number) < 200);
    const states = client.filter((e) => e.name === 'quic:congestion_state_updated');
    assert.ok(states.length >= 1);
    assert.equal(typeof states[0]!.data['new'], 'string');
  });

  it('logs mtu_updated as path MTU discovery raises the datagram size (1,280-byte link)', () => {
    const p = qlogPair({ delay: 10_000, mtu: 1280 });
    transfer(p, 1_000_000);
    p.net.runFor(2_000_000);
    const updates = parseJsonSeq(p.text.client).events.filter((e) => e.name === 'quic:mtu_updated');
    assert.ok(updates.length >= 2, 'one event per confirmed step');
    assert.deepEqual(updates[0]!.data['old'], 1200);
    for (let i = 1; i < updates.length; i++) {
      assert.equal(updates[i]!.data['old'], updates[i - 1]!.data['new']);
    }
    const last = updates[updates.length - 1]!.data;
    assert.equal(last['new'], 1252);
    assert.equal(last['done'], true);
  });

  it('logs packet_lost for packets that were sent, under random loss', () => {
    const p = qlogPair({ delay: 10_000, loss: 0.1 }, 11);
    transfer(p, 200_000);
    const client = parseJsonSeq(p.text.client).events;
    const sent = packetKeys(client, 'quic:packet_sent');
    const lost = client.filter((e) => e.name === 'quic:packet_lost');
    assert.ok(lost.length > 0, 'some packets were declared lost');
    for (const e of lost) {
      const h = e.data['header'] as Json;
      assert.ok(sent.has(`${spaceOf(h['packet_type'])}:${String(h['packet_number'])}`));
    }
    const serverLost = parseJsonSeq(p.text.server).events.filter(
      (e) => e.name === 'quic:packet_lost',
    );
    assert.ok(serverLost.length > 0, 'the server lost packets too');
    const serverSent = packetKeys(parseJsonSeq(p.text.server).events, 'quic:packet_sent');
    for (const e of serverLost) {
      const h = e.data['header'] as Json;
      assert.ok(serverSent.has(`${spaceOf(h['packet_type'])}:${String(h['packet_number'])}`));
    }
  });

  it('logs key updates, a path change and the close on both sides, then ends the trace', () => {
    const p = qlogPair({ delay: 5_000 });
    transfer(p, 20_000);
    p.client.updateKeys();
    p.client.ping();
    p.net.runFor(100_000);
    p.net.rebind('client', { address: CLIENT.address, port: 50001 });
    p.client.ping();
    p.net.runFor(500_000);
    p.client.close(0, 'done');
    p.net.runUntil(() => p.client.isClosed && p.server().isClosed, 10_000_000);
    const client = parseJsonSeq(p.text.client).events;
    const server = parseJsonSeq(p.text.server).events;
    const updated = (events: QlogEvent[]): Json[] =>
      events.filter((e) => e.name === 'quic:key_updated').map((e) => e.data);
    assert.deepEqual(updated(client)[0], {
      key_type: 'client_1rtt_secret',
      key_phase: 1,
      trigger: 'local_update',
    });
    assert.deepEqual(updated(server)[0], {
      key_type: 'client_1rtt_secret',
      key_phase: 1,
      trigger: 'remote_update',
    });
    const moved = server.find((e) => e.name === 'quic:migration_state_updated');
    assert.ok(moved, 'the server logs the client moving to a new port');
    assert.equal((moved.data['tuple_remote'] as Json)['port_v4'], 50001);
    const closedC = client.filter((e) => e.name === 'quic:connection_closed');
    const closedS = server.filter((e) => e.name === 'quic:connection_closed');
    assert.equal(closedC.length, 1);
    assert.equal(closedS.length, 1);
    assert.deepEqual(closedC[0]!.data, {
      initiator: 'local',
      application_error: 'unknown',
      error_code: 0,
      reason: 'done',
      trigger: 'application',
    });
    assert.equal(closedS[0]!.data['initiator'], 'remote');
    // The packets that carry path validation and the close are logged with those frames.
    const sentFrames = (events: QlogEvent[]): Json[] =>
      events
        .filter((e) => e.name === 'quic:packet_sent')
        .flatMap((e) => (e.data['frames'] as Json[] | undefined) ?? []);
    const challenges = sentFrames(server).filter((f) => f['frame_type'] === 'path_challenge');
    assert.ok(challenges.length >= 1, 'the server logs its PATH_CHALLENGE to the new port');
    const responses = sentFrames(client).filter((f) => f['frame_type'] === 'path_response');
    assert.deepEqual(
      responses.map((f) => f['data']),
      challenges.slice(0, responses.length).map((f) => f['data']),
      'the client logs PATH_RESPONSE echoing the data',
    );
    const closes = sentFrames(client).filter((f) => f['frame_type'] === 'connection_close');
    assert.ok(closes.length >= 1, 'the client logs the packet with its CONNECTION_CLOSE');
    assert.deepEqual(closes[0], {
      frame_type: 'connection_close',
      error_space: 'application',
      error: 'unknown',
      error_code: 0,
      reason: 'done',
    });
    const states = (events: QlogEvent[]): unknown[] =>
      events.filter((e) => e.name === 'quic:connection_state_updated').map((e) => e.data);
    const handshake = [
      { new: 'attempted' },
      { old: 'attempted', new: 'handshake_complete' },
      { old: 'handshake_complete', new: 'handshake_confirmed' },
    ];
    assert.deepEqual(states(client), [
      ...handshake,
      { old: 'handshake_confirmed', new: 'closing' },
      { old: 'closing', new: 'closed' },
    ]);
    // A server's handshake is confirmed as it completes (RFC 9001 §4.1.2).
    assert.deepEqual(states(server), [
      ...handshake,
      { old: 'handshake_confirmed', new: 'draining' },
      { old: 'draining', new: 'closed' },
    ]);
    // The closing period lasts three PTOs (RFC 9000 §10.2): closed comes later than closing.
    const closing = client.find((e) => e.data['new'] === 'closing')!;
    const closed = client.find((e) => e.data['new'] === 'closed')!;
    assert.ok(closed.time > closing.time);
    assert.deepEqual(p.closed, { client: 1, server: 1 });
    // Nothing is written after the trace ended.
    const length = p.text.client.length;
    p.net.runFor(1_000_000);
    assert.equal(p.text.client.length, length);
  });

  it("a server dropping a silent unvalidated client logs the close as its own: initiator 'local'", () => {
    // One spoofed Initial: the server answers an address that never replies, so the client's
    // address is never validated and the server drops the connection (RFC 9000 §8.1).
    const net = new Network({ seed: 3 });
    let text = '';
    const server = new Engine({
      server: { alpn: ['test'], certificate: testCertificate().certificate },
      qlog: (traceId, role) =>
        new QlogWriter({ role, traceId, write: (c) => (text += c), wallClockTime: WALL_CLOCK }),
    });
    net.addEndpoint('server', server, SERVER);
    net.addEndpoint('attacker', new InitialFlood({ target: SERVER, count: 1, duration: 1 }), {
      address: '10.0.0.66',
      port: 6666,
    });
    net.runFor(100_000);
    assert.equal(server.unvalidatedCount, 1);
    net.runFor(21_000_000); // the default unvalidatedTimeout is 20 s
    assert.equal(server.connectionCount, 0, 'dropped');
    const closed = parseJsonSeq(text).events.filter((e) => e.name === 'quic:connection_closed');
    assert.deepEqual(
      closed.map((e) => e.data),
      [
        {
          initiator: 'local',
          connection_error: 'no_error',
          reason: 'handshake timeout: the client address was not validated',
          trigger: 'idle_timeout',
        },
      ],
    );
  });

  it('writes the form qvis loads: its header, draft-02 names and relative times', () => {
    const p = qlogPair({ delay: 10_000, rate: 20_000_000 }, 1, 'qvis');
    transfer(p, 200_000);
    p.client.close(0, 'done');
    p.net.runUntil(() => p.client.isClosed && p.server().isClosed, 10_000_000);
    for (const role of ['client', 'server'] as const) {
      const text = p.text[role];
      // qvis's FileLoader picks the JSON-SEQ parser from these two fields at the top.
      assert.match(text.slice(0, 100), /"qlog_version":"0\.3","qlog_format":"JSON-SEQ"/);
      const { header, events } = parseJsonSeq(text, 'qvis');
      const common = (header['trace'] as Json)['common_fields'] as Json;
      // QlogLoaderV2: "relative" times are added to reference_time, ms since the Unix epoch.
      assert.equal(common['time_format'], 'relative');
      assert.equal(common['reference_time'], Date.parse(WALL_CLOCK));
      const names = new Set(events.map((e) => e.name));
      for (const n of [
        'connectivity:connection_started',
        'transport:packet_sent',
        'transport:packet_received',
        'recovery:metrics_updated',
        'recovery:congestion_state_updated',
        'security:key_retired',
        'connectivity:connection_state_updated',
      ]) {
        assert.ok(names.has(n), `${role}: ${n}`);
      }
      assert.ok(![...names].some((n) => n.startsWith('quic:')));
    }
  });

  it('buffers records into larger chunks without changing the text', () => {
    const chunks: string[] = [];
    const w = new QlogWriter({
      role: 'client',
      traceId: 'ab',
      write: (c) => chunks.push(c),
      bufferChars: 4096,
    });
    const direct: string[] = [];
    const d = new QlogWriter({ role: 'client', traceId: 'ab', write: (c) => direct.push(c) });
    for (const x of [w, d]) {
      for (let i = 0; i < 100; i++)
        x.packetDropped({} as Connection, 'general', 1200 + i, i * 1000);
    }
    assert.ok(chunks.length < 5);
    w.close();
    d.close();
    assert.equal(chunks.join(''), direct.join(''));
    // The header, 100 events, and the closed state written by close().
    assert.equal(direct.length, 102);
    const { events } = parseJsonSeq(direct.join(''));
    assert.deepEqual(events[3], {
      time: 3,
      name: 'quic:packet_dropped',
      data: { raw: { length: 1203 }, trigger: 'general' },
    });
  });

  it('logs multipath paths as tuple_assigned with the path ID and status (RFC 10069 §3)', () => {
    for (const format of ['ietf', 'qvis'] as const) {
      const out: string[] = [];
      const w = new QlogWriter({
        role: 'client',
        traceId: 'ab',
        write: (c) => out.push(c),
        format,
      });
      const local = { address: '127.0.0.2', port: 4433 };
      const remote = { address: '::1', port: 443 };
      w.pathUpdated(
        {} as Connection,
        { pathId: 1, local, remote, status: 'validating', dcid: fromHex('0102') },
        1000,
      );
      w.pathUpdated({} as Connection, { pathId: 1, local, remote, status: 'backup' }, 2000);
      w.close();
      const { events } = parseJsonSeq(out.join(''), format);
      const name = format === 'ietf' ? 'quic:tuple_assigned' : 'connectivity:tuple_assigned';
      assert.deepEqual(events[0], {
        time: 0,
        name,
        data: {
          tuple_id: '1',
          tuple_remote: { ip_v6: '::1', port_v6: 443, connection_ids: ['0102'] },
          tuple_local: { ip_v4: '127.0.0.2', port_v4: 4433 },
          path_id: 1,
          path_status: 'validating',
        },
      });
      assert.equal((events[1]!.data as Json)['path_status'], 'backup');
    }
    const params = { ...defaultTransportParameters(), initialMaxPathId: 3 };
    assert.equal(transportParametersToQlog(params)['initial_max_path_id'], 3);
    assert.ok(!('initial_max_path_id' in transportParametersToQlog(defaultTransportParameters())));
  });

  it('the factory makes a writer per connection, or none when the opener declines', () => {
    const opened: string[] = [];
    const factory = qlogWriterFactory(
      (traceId, role) =>
        role === 'server' ? null : (c: string) => void opened.push(`${traceId}:${c.length}`),
      { wallClock: () => '2025-01-15T00:00:00.000Z' },
    );
    assert.equal(factory('aa', 'server'), undefined);
    const sink = factory('bb', 'client');
    assert.ok(sink instanceof QlogWriter);
    assert.equal(opened.length, 1);
    assert.match(opened[0]!, /^bb:/);
  });

  it('maps frames to qlog: ACK ranges and delay, errors by name, CRYPTO length', () => {
    assert.deepEqual(
      frameToQlog(
        {
          kind: 'ack',
          ackDelay: 125,
          ranges: [
            { smallest: 7, largest: 9 },
            { smallest: 3, largest: 3 },
          ],
        },
        3,
      ),
      { frame_type: 'ack', ack_delay: 1, acked_ranges: [[7, 9], [3]] },
    );
    assert.deepEqual(
      frameToQlog(
        {
          kind: 'connection_close',
          application: false,
          errorCode: 0x0a,
          frameType: 6,
          reason: new TextEncoder().encode('bad'),
        },
        3,
      ),
      {
        frame_type: 'connection_close',
        error_space: 'transport',
        error: 'protocol_violation',
        trigger_frame_type: 6,
        reason: 'bad',
      },
    );
    assert.equal(
      frameToQlog(
        {
          kind: 'connection_close',
          application: false,
          errorCode: 0x128,
          frameType: 0,
          reason: new Uint8Array(0),
        },
        3,
      )['error'],
      'crypto_error_0x128',
    );
    assert.deepEqual(frameToQlog({ kind: 'crypto', offset: 5, data: new Uint8Array(10) }, 3), {
      frame_type: 'crypto',
      offset: 5,
      raw: { length: 10 },
    });
    assert.deepEqual(
      sentFrameToQlog({ k: 'stream', streamId: 4, offset: 100, length: 50, fin: true }),
      {
        frame_type: 'stream',
        stream_id: 4,
        offset: 100,
        fin: true,
        raw: { length: 50 },
      },
    );
    assert.equal(sentFrameToQlog({ k: 'none' }), null);
  });

  it('maps the multipath frames (RFC 10069 §4) as extension frames with their fields', () => {
    assert.deepEqual(
      frameToQlog(
        {
          kind: 'path_ack',
          pathId: 2,
          ackDelay: 125,
          ranges: [{ smallest: 4, largest: 4 }],
          ecn: { ect0: 1, ect1: 0, ce: 2 },
        },
        3,
      ),
      {
        frame_type: 'path_ack',
        path_id: 2,
        ack_delay: 1,
        acked_ranges: [[4]],
        ect0: 1,
        ect1: 0,
        ce: 2,
      },
    );
    assert.deepEqual(frameToQlog({ kind: 'path_abandon', pathId: 1, errorCode: 0x3e }, 3), {
      frame_type: 'path_abandon',
      path_id: 1,
      error_code: 0x3e,
    });
    assert.deepEqual(frameToQlog({ kind: 'path_status_backup', pathId: 3, sequenceNumber: 9 }, 3), {
      frame_type: 'path_status_backup',
      path_id: 3,
      path_status_sequence_number: 9,
    });
    assert.deepEqual(frameToQlog({ kind: 'max_path_id', maximum: 7 }, 3), {
      frame_type: 'max_path_id',
      maximum_path_id: 7,
    });
  });

  it('maps every frame kind to a QuicFrame the validator accepts', () => {
    const rng = new Rng(7);
    for (const kind of ALL_KINDS) {
      for (let i = 0; i < 5; i++) {
        const frame = frameToQlog(randomFrame(rng, kind), 3);
        assert.deepEqual(validateQuicFrame(frame), [], kind);
      }
    }
  });
});
