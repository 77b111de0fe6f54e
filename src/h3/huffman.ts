/**
 * HPACK Huffman coding of string literals, RFC 7541 §5.2 and Appendix B, used by QPACK
 * (RFC 9204 §4.1.2). Strings are octet strings (see latin1.ts).
 *
 * Encoding packs codes into a 32-bit accumulator. Decoding runs a 4-bit state machine built once
 * at load from the code table: a state is an internal node of the code tree (256 of them), and
 * each (state, nibble) entry gives the next state, the symbol completed on the way (at most one,
 * since the shortest code is 5 bits) and whether the input may end there.
 */
import { DecodeError } from '../util/errors.js';
import { HUFFMAN_CODES, HUFFMAN_CODE_LENGTHS } from './huffman-table.js';
import { latin1Decode } from './latin1.js';

const EOS = 256;

/** Number of bytes the Huffman encoding of `s` takes. Throws TypeError for non-octet characters. */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new TypeError('Huffman input must be an octet string');
    bits += HUFFMAN_CODE_LENGTHS[c]!;
  }
  return (bits + 7) >>> 3;
}

/**
 * Huffman-encodes `s` into out[offset..] and returns the end offset. The caller provides
 * huffmanEncodedLength(s) bytes of room (and so has validated the characters).
 */
export function huffmanEncodeInto(s: string, out: Uint8Array, offset: number): number {
  let acc = 0; // pending bits, fewer than 8 between symbols
  let bits = 0;
  let o = offset;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i);
    let code = HUFFMAN_CODES[sym]!;
    let len = HUFFMAN_CODE_LENGTHS[sym]!;
    if (len > 24) {
      // Keep the accumulator within 31 bits: emit the high part of long codes first.
      const hiLen = len - 16;
      acc = (acc << hiLen) | (code >>> 16);
      bits += hiLen;
      while (bits >= 8) {
        bits -= 8;
        out[o++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      out[o++] = acc >>> bits; // the store keeps the low 8 bits
    }
    acc &= (1 << bits) - 1;
  }
  // RFC 7541 §5.2: pad with the most significant bits of EOS (all ones) to the octet boundary.
  if (bits > 0) out[o++] = (acc << (8 - bits)) | (0xff >>> bits);
  return o;
}

/** The Huffman encoding of `s` as a new array. */
export function huffmanEncode(s: string): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(s));
  huffmanEncodeInto(s, out, 0);
  return out;
}

// Decoder state machine. Entry layout: bits 0-7 next state, bits 8-15 emitted symbol,
// bit 16 EMIT, bit 17 ACCEPT (input may end here), bit 18 FAIL (EOS decoded).
const EMIT = 1 << 16;
const ACCEPT = 1 << 17;
const FAIL = 1 << 18;

const DECODE_TABLE = buildDecodeTable();

function buildDecodeTable(): Uint32Array {
  // Code tree: node 0 is the root; child[2n + bit] is an internal node id, or ~symbol for a leaf.
  const child: number[] = [0, 0];
  const depth: number[] = [0];
  const allOnes: boolean[] = [true];
  let internal = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_CODE_LENGTHS[sym]!;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = (code >>> i) & 1;
      const slot = 2 * node + bit;
      if (i === 0) {
        child[slot] = ~sym;
      } else {
        if (child[slot] === 0 || child[slot] === undefined) {
          child[slot] = internal;
          child[2 * internal] = 0;
          child[2 * internal + 1] = 0;
          depth[internal] = depth[node]! + 1;
          allOnes[internal] = allOnes[node]! && bit === 1;
          internal++;
        }
        node = child[slot]!;
      }
    }
  }
  // A well-formed canonical code over 257 symbols has exactly 256 internal nodes, so a state
  // fits in 8 bits.
  if (internal !== 256) throw new Error(`Huffman table is not a complete code (${internal} nodes)`);

  const table = new Uint32Array(256 * 16);
  for (let state = 0; state < 256; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let i = 3; i >= 0; i--) {
        const next = child[2 * node + ((nibble >>> i) & 1)]!;
        if (next < 0) {
          const sym = ~next;
          if (sym === EOS) {
            entry |= FAIL;
            break;
          }
          entry |= EMIT | (sym << 8);
          node = 0;
        } else {
          node = next;
        }
      }
      // RFC 7541 §5.2: the input may end where the bits after the last symbol are at most 7
      // and all ones (a prefix of EOS).
      if (allOnes[node]! && depth[node]! <= 7) entry |= ACCEPT;
      table[state * 16 + nibble] = entry | node;
    }
  }
  return table;
}

let scratch = new Uint8Array(256);

/**
 * Decodes the Huffman-coded octets src[start..end) into an octet string. Strict per RFC 7541
 * §5.2: padding longer than 7 bits, padding that is not a prefix of EOS, or an EOS symbol in the
 * data throw DecodeError (callers turn it into the QPACK error of their context).
 */
export function huffmanDecode(src: Uint8Array, start = 0, end = src.length): string {
  // Every code is at least 5 bits long, which bounds the output.
  const maxOut = Math.floor(((end - start) * 8) / 5);
  if (scratch.length < maxOut) scratch = new Uint8Array(Math.max(maxOut, scratch.length * 2));
  const out = scratch;
  const t = DECODE_TABLE;
  let o = 0;
  let state = 0;
  let entry = ACCEPT;
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    entry = t[(state << 4) | (b >>> 4)]!;
    if (entry & FAIL) throw new DecodeError('Huffman: EOS symbol in string');
    if (entry & EMIT) out[o++] = entry >>> 8;
    state = entry & 0xff;
    entry = t[(state << 4) | (b & 0x0f)]!;
    if (entry & FAIL) throw new DecodeError('Huffman: EOS symbol in string');
    if (entry & EMIT) out[o++] = entry >>> 8;
    state = entry & 0xff;
  }
  if (!(entry & ACCEPT)) throw new DecodeError('Huffman: invalid padding');
  return latin1Decode(out, 0, o);
}
