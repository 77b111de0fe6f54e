/** Bytes per chunk: room for several CIDs with their reset tokens. */
const SLAB_CHUNK = 256;

/**
 * Copies of small long-lived byte strings (connection IDs, reset tokens) packed into shared
 * chunks. A small Uint8Array of its own costs about 200 bytes of heap, a view into a chunk well
 * under half that, and a connection holds a dozen or more of them for its whole life. Space is
 * never reused - a retired CID may still be referenced (an old path, a frame in flight) - so a
 * slab only grows, a chunk at a time; a chunk is freed once no view into it is left.
 */
export class ByteSlab {
  private chunk = new Uint8Array(0);
  private used = 0;

  /** A copy of `src` that stays valid as long as it is referenced. */
  copy(src: Uint8Array): Uint8Array {
    if (this.used + src.length > this.chunk.length) {
      this.chunk = new Uint8Array(Math.max(SLAB_CHUNK, src.length));
      this.used = 0;
    }
    const view = this.chunk.subarray(this.used, this.used + src.length);
    view.set(src);
    this.used += src.length;
    return view;
  }
}
