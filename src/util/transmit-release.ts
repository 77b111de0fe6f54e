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
