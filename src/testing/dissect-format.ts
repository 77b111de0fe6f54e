/**
 * The two renderings of a dissection: a JSON form for scripts and tests, and a text form for
 * people (`tsquic inspect`).
 *
 * JSON (`dissectionToJson`):
 *
 *     { "datagrams": [ { "size": 1200 } ],
 *       "packets": [ { "datagram": 0, "offset": 0, "size": 1200, "type": "initial",
 *                      "sender": "client", "version": 1, "dcid": "8394c8f03e515708",
 *                      "scid": "", "token": "", "length": 1182, "packetNumber": 2,
 *                      "packetNumberLength": 4,
 *                      "frames": [ { "type": "crypto", "offset": 0, "length": 241,
 *                                    "data": "010000ed..." },
 *                                  { "type": "padding", "length": 917 } ],
 *                      "tls": [ { "messageType": "client_hello", "sni": "example.com", ... } ]
 *                    } ] }
 *
 * - Packet fields are those of DissectedPacket, plus `datagram`, the index of the datagram the
 *   packet came in. Byte strings are lowercase hex.
 * - Frames are `{ "type": <lowercase RFC 9000 §19 name, the `kind` of src/wire/frame-types.ts>,
 *   ...the frame's fields }`. CRYPTO, STREAM and DATAGRAM frames carry `length` and always the
 *   whole `data` as hex: the JSON form is lossless, so a script can reassemble streams from it
 *   (only the text form abbreviates data). ACK frames carry `largest`, `ackDelay` (the raw
 *   field) and `ranges` as `[smallest, largest]` pairs, highest first (RFC 9000 §19.3.1);
 *   PATH_ACK (RFC 10069 §4.1) the same after its `pathId`.
 *   CONNECTION_CLOSE carries the reason phrase as text and, for transport errors, `errorName`.
 * - `tls` lists the handshake messages the packet's CRYPTO frames completed (see
 *   dissect-tls.ts).
 */
import { fromUtf8, toHex } from '../util/bytes.js';
import { transportErrorName } from '../wire/errors.js';
import type { Frame } from '../wire/frame-types.js';
import { QUIC_V1, QUIC_V2 } from '../wire/version.js';
import type { DissectedDatagram, DissectedPacket } from './dissect-types.js';
import type { JsonObject, JsonValue } from './dissect-tls.js';

export interface PacketJson extends JsonObject {
  datagram: number;
  offset: number;
  size: number;
  type: string;
}

export interface DissectionJson {
  datagrams: { size: number; trailingZeros?: number }[];
  packets: PacketJson[];
}

function bytesFields(o: JsonObject, f: object): JsonObject {
  for (const [k, v] of Object.entries(f)) {
    if (k === 'kind') continue;
    o[k] = v instanceof Uint8Array ? toHex(v) : (v as JsonValue);
  }
  return o;
}

/** The JSON form of one frame (see the module comment). */
export function frameToJson(f: Frame): JsonObject {
  switch (f.kind) {
    case 'ack':
    case 'path_ack': {
      const o: JsonObject = { type: f.kind };
      if (f.kind === 'path_ack') o['pathId'] = f.pathId;
      Object.assign(o, {
        largest: f.ranges[0]!.largest,
        ackDelay: f.ackDelay,
        ranges: f.ranges.map((r) => [r.smallest, r.largest]),
      });
      if (f.ecn !== undefined) o['ecn'] = { ...f.ecn };
      return o;
    }
    case 'crypto':
      return { type: 'crypto', offset: f.offset, length: f.data.length, data: toHex(f.data) };
    case 'stream':
      return {
        type: 'stream',
        streamId: f.streamId,
        offset: f.offset,
        length: f.data.length,
        fin: f.fin,
        data: toHex(f.data),
      };
    case 'datagram':
      return { type: 'datagram', length: f.data.length, data: toHex(f.data) };
    case 'connection_close': {
      const o: JsonObject = {
        type: 'connection_close',
        application: f.application,
        errorCode: f.errorCode,
      };
      if (!f.application) {
        o['errorName'] = transportErrorName(f.errorCode);
        o['frameType'] = f.frameType;
      }
      o['reason'] = fromUtf8(f.reason);
      return o;
    }
    default:
      return bytesFields({ type: f.kind }, f);
  }
}

const PACKET_KEYS = [
  'sender',
  'version',
  'dcid',
  'scid',
  'token',
  'length',
  'packetNumber',
  'packetNumberLength',
  'keyPhase',
  'spin',
  'versions',
  'integrityTag',
  'integrity',
] as const;

function packetToJson(p: DissectedPacket, datagram: number): PacketJson {
  const o: PacketJson = { datagram, offset: p.offset, size: p.size, type: p.type };
  for (const k of PACKET_KEYS) {
    const v = p[k];
    if (v !== undefined) o[k] = v;
  }
  if (p.frames !== undefined) o['frames'] = p.frames.map(frameToJson);
  if (p.tls !== undefined) o['tls'] = p.tls;
  if (p.error !== undefined) o['error'] = p.error;
  return o;
}

/** The JSON form of one datagram or of a sequence of datagrams (see the module comment). */
export function dissectionToJson(
  dissection: DissectedDatagram | readonly DissectedDatagram[],
): DissectionJson {
  const list = Array.isArray(dissection) ? dissection : [dissection as DissectedDatagram];
  const out: DissectionJson = { datagrams: [], packets: [] };
  list.forEach((d, i) => {
    out.datagrams.push(
      d.trailingZeros === undefined
        ? { size: d.size }
        : { size: d.size, trailingZeros: d.trailingZeros },
    );
    for (const p of d.packets) out.packets.push(packetToJson(p, i));
  });
  return out;
}

// --- text -----------------------------------------------------------------------------------

/** Hex shown for a byte string in the text form, in characters (16 bytes). */
const TEXT_HEX_LIMIT = 32;

function versionName(v: number): string {
  if (v === QUIC_V1) return 'v1';
  if (v === QUIC_V2) return 'v2';
  return `version=0x${v.toString(16).padStart(8, '0')}`;
}

function textValue(v: JsonValue, abbreviate: boolean): string {
  if (Array.isArray(v)) {
    // [smallest, largest] pairs of ACK ranges read best as "a..b".
    if (v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') {
      return `${v[0]}..${v[1]}`;
    }
    return v.map((x) => textValue(x, abbreviate)).join(',');
  }
  if (v !== null && typeof v === 'object') {
    return Object.entries(v)
      .map(([k, x]) => `${k}=${textValue(x, abbreviate)}`)
      .join(',');
  }
  if (typeof v === 'string') {
    if (v === '') return '""';
    if (abbreviate && /^[0-9a-f]+$/.test(v) && v.length > TEXT_HEX_LIMIT) {
      return `${v.slice(0, TEXT_HEX_LIMIT)}…`;
    }
    return /\s/.test(v) ? JSON.stringify(v) : v;
  }
  return String(v);
}

function frameLine(f: JsonObject): string {
  const parts = [String(f['type'])];
  for (const [k, v] of Object.entries(f)) {
    if (k !== 'type') parts.push(`${k}=${textValue(v, true)}`);
  }
  return parts.join(' ');
}

function packetLine(p: PacketJson): string {
  const parts: string[] = [p.type];
  if (typeof p['version'] === 'number' && p.type !== 'version_negotiation') {
    parts.push(versionName(p['version']));
  }
  if (p['sender'] !== undefined) parts.push(`from ${String(p['sender'])}`);
  const fields: [string, string][] = [
    ['dcid', 'dcid'],
    ['scid', 'scid'],
    ['token', 'token'],
    ['length', 'len'],
    ['packetNumber', 'pn'],
    ['keyPhase', 'key_phase'],
    ['spin', 'spin'],
    ['versions', 'versions'],
    ['integrityTag', 'tag'],
    ['integrity', 'integrity'],
  ];
  for (const [key, label] of fields) {
    const v = p[key];
    if (v === undefined) continue;
    if (key === 'token' && v === '' && p.type === 'initial') continue;
    if (key === 'versions' && Array.isArray(v)) {
      parts.push(
        `versions=${v.map((x) => `0x${Number(x).toString(16).padStart(8, '0')}`).join(',')}`,
      );
      continue;
    }
    parts.push(`${label}=${textValue(v, key === 'token')}`);
  }
  parts.push(`(${p.size} bytes at ${p.offset})`);
  return parts.join(' ');
}

function tlsLines(m: JsonObject, indent: string): string[] {
  const lines = [`${indent}tls ${String(m['messageType'])} (${String(m['length'])} bytes)`];
  for (const [k, v] of Object.entries(m)) {
    if (k === 'messageType' || k === 'length') continue;
    if (k === 'transportParameters' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      lines.push(`${indent}  transportParameters:`);
      for (const [pk, pv] of Object.entries(v)) {
        lines.push(`${indent}    ${pk}: ${textValue(pv, false)}`);
      }
      continue;
    }
    const text = !Array.isArray(v)
      ? textValue(v, false)
      : v.length === 0
        ? '(none)'
        : v.map((x) => textValue(x, false)).join(', ');
    lines.push(`${indent}  ${k}: ${text}`);
  }
  return lines;
}

/**
 * The text form: one line per packet header, an indented line per frame, then the handshake
 * messages and any error. Several datagrams are separated by a "datagram N" line.
 */
export function formatDissection(
  dissection: DissectedDatagram | readonly DissectedDatagram[],
): string {
  const json = dissectionToJson(dissection);
  const lines: string[] = [];
  const several = json.datagrams.length > 1;
  json.datagrams.forEach((d, i) => {
    if (several) lines.push(`datagram ${i}: ${d.size} bytes`);
    for (const p of json.packets) {
      if (p.datagram !== i) continue;
      lines.push(packetLine(p));
      const frames = p['frames'];
      if (Array.isArray(frames))
        for (const f of frames) lines.push(`  ${frameLine(f as JsonObject)}`);
      const tls = p['tls'];
      if (Array.isArray(tls)) for (const m of tls) lines.push(...tlsLines(m as JsonObject, '  '));
      if (p['error'] !== undefined) lines.push(`  error: ${String(p['error'])}`);
    }
    if (d.trailingZeros !== undefined)
      lines.push(`${d.trailingZeros} zero bytes after the packets`);
    if (d.size === 0) lines.push('empty datagram');
  });
  return lines.join('\n') + '\n';
}
