/**
 * The caller's word that every datagram an engine handed out so far is no longer referenced
 * (Engine.releaseTransmits): sent, or copied by the socket. Packet assembly may then write the
 * memory those datagrams lie in again instead of allocating more. One per engine, shared by its
 * connections' packet builders and its batcher; each records the epoch of its last hand-out and
 * reuses its slab only once the epoch has moved past it.
 *
 * Why: a sender otherwise allocates a new slab for every ~180 datagrams, about as many bytes of
 * ArrayBuffers as it sends, and V8 answers that external memory with garbage collections (a
 * server sending 130 MiB/s ran a mark-compact about every 100 ms).
 */
export class TransmitRelease {
  epoch = 0;
}

/**
 * One slab owner's side of it: when it last handed out memory, and whether the caller has
 * released everything since. Without a TransmitRelease nothing is ever free again.
 */
export class HandOuts {
  private at = -1;

  constructor(private readonly release: TransmitRelease | null) {}

  /** Memory of the owner's slab goes to the caller now. */
  handedOut(): void {
    if (this.release !== null) this.at = this.release.epoch;
  }

  /** The caller released everything handed out so far: the slab may be written again. */
  get allReleased(): boolean {
    return this.release !== null && this.release.epoch !== this.at;
  }
}
