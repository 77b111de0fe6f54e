/**
 * Batch packet protection as a loop over the single-packet calls: the `sealBatch`, `openBatch`
 * and `maskBatch` of the providers that have no cheaper way (node, noble, pure). The native
 * provider crosses into C once per batch instead (native-provider.ts). The layouts are those
 * documented on `Aead` and `HeaderProtection` in provider.ts.
 */
import type { Aead, AeadAlg, HeaderProtection } from './provider.js';

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const MASK_LENGTH = 5;
const SAMPLE_LENGTH = 16;

/**
 * The nonce and mask of the packet being sealed, opened or masked, copied here rather than
 * viewed: a view is an object per packet, 12 or 5 bytes are cheaper to copy. The single-packet
 * calls return before the next packet's bytes are copied in, and none of them keeps its nonce
 * or mask argument (provider.ts), so one of each serves every batch.
 */
const nonceScratch = new Uint8Array(NONCE_LENGTH);
const maskScratch = new Uint8Array(MASK_LENGTH);

/** Nonce `i` of `nonces`, in nonceScratch. */
function nonceAt(nonces: Uint8Array, i: number): Uint8Array {
  const from = NONCE_LENGTH * i;
  for (let j = 0; j < NONCE_LENGTH; j++) nonceScratch[j] = nonces[from + j]!;
  return nonceScratch;
}

function checkCount(count: number, offsetsPerItem: number, offsets: Uint32Array): void {
  if (!Number.isInteger(count) || count < 0 || count * offsetsPerItem > offsets.length) {
    throw new RangeError(`batch count ${count} exceeds the offsets given`);
  }
}

export function sealEach(
  aead: Aead,
  buf: Uint8Array,
  offsets: Uint32Array,
  nonces: Uint8Array,
  count: number,
): void {
  checkCount(count, 3, offsets);
  if (count * NONCE_LENGTH > nonces.length) throw new RangeError('batch count exceeds the nonces');
  for (let i = 0; i < count; i++) {
    const header = offsets[3 * i]!;
    const payload = offsets[3 * i + 1]!;
    const end = offsets[3 * i + 2]!;
    if (header > payload || payload > end || end + TAG_LENGTH > buf.length) {
      throw new RangeError('bad packet offsets (or no room for the tag)');
    }
    aead.seal(
      nonceAt(nonces, i),
      buf.subarray(header, payload),
      buf.subarray(payload, end),
      buf,
      payload,
    );
  }
}

export function openEach(
  aead: Aead,
  buf: Uint8Array,
  offsets: Uint32Array,
  nonces: Uint8Array,
  count: number,
  results: Int32Array,
): number {
  checkCount(count, 3, offsets);
  if (count * NONCE_LENGTH > nonces.length || count > results.length) {
    throw new RangeError('batch count exceeds the nonces or results');
  }
  let failures = 0;
  for (let i = 0; i < count; i++) {
    const header = offsets[3 * i]!;
    const payload = offsets[3 * i + 1]!;
    const end = offsets[3 * i + 2]!;
    let n = -1;
    if (header <= payload && payload <= end && end <= buf.length && end - payload >= TAG_LENGTH) {
      n = aead.open(
        nonceAt(nonces, i),
        buf.subarray(header, payload),
        buf.subarray(payload, end),
        buf,
        payload,
      );
    }
    results[i] = n;
    if (n < 0) failures++;
  }
  return failures;
}

export function maskEach(
  hp: HeaderProtection,
  buf: Uint8Array,
  sampleOffsets: Uint32Array,
  count: number,
  masks: Uint8Array,
): void {
  checkCount(count, 1, sampleOffsets);
  if (count * MASK_LENGTH > masks.length) throw new RangeError('batch count exceeds the masks');
  for (let i = 0; i < count; i++) {
    const offset = sampleOffsets[i]!;
    if (offset + SAMPLE_LENGTH > buf.length) throw new RangeError('a sample runs past the buffer');
    hp.mask(buf, maskScratch, offset);
    const to = MASK_LENGTH * i;
    for (let j = 0; j < MASK_LENGTH; j++) masks[to + j] = maskScratch[j]!;
  }
}

/** An AEAD whose batch calls loop over its single-packet ones (node, noble). */
export abstract class LoopBatchAead implements Aead {
  abstract readonly alg: AeadAlg;
  abstract seal(...args: Parameters<Aead['seal']>): ReturnType<Aead['seal']>;
  abstract open(...args: Parameters<Aead['open']>): ReturnType<Aead['open']>;

  sealBatch(buf: Uint8Array, offsets: Uint32Array, nonces: Uint8Array, count: number): void {
    sealEach(this, buf, offsets, nonces, count);
  }

  openBatch(
    buf: Uint8Array,
    offsets: Uint32Array,
    nonces: Uint8Array,
    count: number,
    results: Int32Array,
  ): number {
    return openEach(this, buf, offsets, nonces, count, results);
  }
}

/** Header protection whose batch call loops over its single masks (every pure-JS one). */
export abstract class LoopBatchHeaderProtection implements HeaderProtection {
  abstract mask(sample: Uint8Array, mask: Uint8Array, offset?: number): void;

  maskBatch(buf: Uint8Array, sampleOffsets: Uint32Array, count: number, masks: Uint8Array): void {
    maskEach(this, buf, sampleOffsets, count, masks);
  }
}
