/** The QUIC-LB draft's test vectors (draft-21 App. B) as cases with their configurations. */
import type { QuicLbConfig } from '../../src/lb/config.js';
import { fromHex } from '../../src/util/bytes.js';
import { loadVector } from '../vectors.js';

export interface QuicLbVector {
  cr_bits: number;
  /** The codepoint the printed CID carries where the draft's label disagrees (see the JSON). */
  cid_cr_bits?: number;
  sid: string;
  nonce: string;
  cid: string;
}

export interface QuicLbCase {
  name: string;
  v: QuicLbVector;
  /** The AES key (hex) of the encrypted vectors. */
  key?: string;
}

const V = loadVector('quic-lb.json');

export const QUIC_LB_CASES: readonly QuicLbCase[] = [
  ...(V.unencrypted as QuicLbVector[]).map((v) => ({ name: `unencrypted cr ${v.cr_bits}`, v })),
  ...(V.encrypted.vectors as QuicLbVector[]).map((v) => ({
    name: `encrypted cr ${v.cr_bits} (${v.sid.length / 2}+${v.nonce.length / 2} octets)`,
    v,
    key: V.encrypted.key as string,
  })),
  {
    name: 'four-pass example of §5.4.2.4',
    v: V.four_pass_example as QuicLbVector,
    key: V.four_pass_example.key as string,
  },
];

/** The configuration a vector was made with. */
export function configOf(v: QuicLbVector, key?: string): QuicLbConfig {
  return {
    configId: v.cid_cr_bits ?? v.cr_bits,
    serverIdLength: v.sid.length / 2,
    nonceLength: v.nonce.length / 2,
    ...(key ? { key: fromHex(key) } : {}),
  };
}
