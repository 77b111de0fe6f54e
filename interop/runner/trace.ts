/**
 * What the Interop Runner reads from its pcaps with Wireshark, read here from the relay's trace
 * (every datagram both ways) and the endpoints' key logs: long headers in the clear (type,
 * version, connection IDs, Retry and Initial tokens, the Length field), and, through the
 * dissector of tsquic/testing with the secrets, TLS messages, frames and key phases.
 */
import {
  Dissector,
  parseKeyLog,
  type DissectedPacket,
  type PacketKey,
  type RelayRecord,
} from '../../src/testing/index.js';
import { PacketType, QUIC_V1, QUIC_V2, packetTypeFromBits } from '../../src/wire/version.js';

export type PacketKind = 'initial' | '0rtt' | 'handshake' | 'retry' | '1rtt' | 'vn';

/** A packet's header as read without keys. */
export interface WirePacket {
  record: RelayRecord;
  kind: PacketKind;
  version: number;
  dcid: string;
  scid: string;
  /** Initial and Retry token (hex). */
  token: string;
  /** Bytes of the packet (header included). */
  size: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function varint(d: Uint8Array, at: number): { value: number; next: number } | null {
  if (at >= d.length) return null;
  const size = 1 << (d[at]! >> 6);
  if (at + size > d.length) return null;
  let value = d[at]! & 0x3f;
  for (let i = 1; i < size; i++) value = value * 256 + d[at + i]!;
  return { value, next: at + size };
}

/** The packets of one datagram, headers only (RFC 9000 §17, RFC 9369 §3.2). */
export function wirePackets(record: RelayRecord): WirePacket[] {
  const d = record.data;
  const out: WirePacket[] = [];
  let p = 0;
  while (p < d.length) {
    const first = d[p]!;
    if ((first & 0x80) === 0) {
      if (p === 0 || d.subarray(p).some((b) => b !== 0)) {
        out.push({
          record,
          kind: '1rtt',
          version: 0,
          dcid: '',
          scid: '',
          token: '',
          size: d.length - p,
        });
      }
      break;
    }
    if (p + 6 > d.length) break;
    const version = ((d[p + 1]! << 24) | (d[p + 2]! << 16) | (d[p + 3]! << 8) | d[p + 4]!) >>> 0;
    let q = p + 5;
    const dcidLength = d[q]!;
    const dcid = hex(d.subarray(q + 1, q + 1 + dcidLength));
    q += 1 + dcidLength;
    const scidLength = d[q] ?? 0;
    const scid = hex(d.subarray(q + 1, q + 1 + scidLength));
    q += 1 + scidLength;
    if (version === 0) {
      out.push({ record, kind: 'vn', version, dcid, scid, token: '', size: d.length - p });
      break;
    }
    if (version !== QUIC_V1 && version !== QUIC_V2) break;
    const type = packetTypeFromBits(version, (first >> 4) & 3);
    if (type === PacketType.Retry) {
      const token = hex(d.subarray(q, d.length - 16));
      out.push({ record, kind: 'retry', version, dcid, scid, token, size: d.length - p });
      break;
    }
    let token = '';
    if (type === PacketType.Initial) {
      const t = varint(d, q);
      if (t === null) break;
      token = hex(d.subarray(t.next, t.next + t.value));
      q = t.next + t.value;
    }
    const length = varint(d, q);
    if (length === null) break;
    const end = length.next + length.value;
    const kind: PacketKind =
      type === PacketType.Initial ? 'initial' : type === PacketType.ZeroRtt ? '0rtt' : 'handshake';
    out.push({ record, kind, version, dcid, scid, token, size: end - p });
    p = end;
  }
  return out;
}

/** A decrypted packet with the datagram it came in. */
export interface OpenedPacket {
  record: RelayRecord;
  packet: DissectedPacket;
}

/** The relay's trace with the key logs of a run. */
export class Trace {
  readonly packets: WirePacket[];
  private readonly keys: PacketKey[];
  private opened: OpenedPacket[] | undefined;

  constructor(
    readonly records: readonly RelayRecord[],
    keyLogs: readonly string[],
  ) {
    this.packets = records.flatMap(wirePackets);
    this.keys = [];
    for (const text of keyLogs) {
      try {
        this.keys.push(...parseKeyLog(text));
      } catch {
        // A malformed key log counts as none: the checks that need it say so.
      }
    }
  }

  /** Whether there are secrets to open Handshake and 1-RTT packets with. */
  hasKeys(): boolean {
    return this.keys.length > 0;
  }

  /** Datagrams from the client (what the server received, or would have). */
  of(kind: PacketKind, from: 'client' | 'server'): WirePacket[] {
    const direction = from === 'client' ? 'toServer' : 'toClient';
    return this.packets.filter((p) => p.kind === kind && p.record.direction === direction);
  }

  /** Handshakes the server made: distinct Source Connection IDs of its Initials. */
  handshakes(): number {
    return new Set(this.of('initial', 'server').map((p) => p.scid)).size;
  }

  /** Versions of the server's Initials (the runner's _get_versions). */
  serverVersions(): Set<number> {
    return new Set(this.of('initial', 'server').map((p) => p.version));
  }

  /**
   * Every packet of the trace opened as far as the keys allow, one dissector per flow (a flow
   * is one client address: one connection, or a client that migrated or was rebound), in order.
   */
  open(): OpenedPacket[] {
    if (this.opened !== undefined) return this.opened;
    const dissectors = new Map<number, Dissector>();
    const out: OpenedPacket[] = [];
    for (const record of this.records) {
      let d = dissectors.get(record.flow);
      if (d === undefined) {
        d = new Dissector({ keys: this.keys });
        dissectors.set(record.flow, d);
      }
      for (const packet of d.dissect(record.data).packets) out.push({ record, packet });
    }
    this.opened = out;
    return out;
  }
}
