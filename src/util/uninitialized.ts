/**
 * Memory for bytes the caller writes before anything reads them: the send path's slabs (every
 * datagram carved from one is written whole: headers, frames, PADDING as explicit zeros, the
 * AEAD tag). A `new Uint8Array` is zero-filled, and at 256 KiB per slab that memset was about
 * 7 % of a sending server's CPU; Node's `Buffer.allocUnsafeSlow` skips it. Outside Node (no
 * `Buffer`) the memory is zeroed as usual. The result is a plain Uint8Array view, not a Buffer,
 * so the send path sees one kind of array.
 */
interface UnsafeAllocator {
  allocUnsafeSlow(size: number): Uint8Array;
}

const nodeBuffer = (globalThis as { Buffer?: UnsafeAllocator }).Buffer;

export function uninitializedBytes(size: number): Uint8Array<ArrayBuffer> {
  if (nodeBuffer === undefined) return new Uint8Array(size);
  const b = nodeBuffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);
}
