/**
 * The QPACK dynamic table (RFC 9204 §3.2): a FIFO of field lines addressed by absolute index,
 * with a capacity in bytes and eviction from the oldest end. Shared by the encoder (which also
 * decides what may be evicted) and the decoder (which evicts as instructed).
 *
 * Entries live in a ring buffer indexed by absolute index, so lookups are O(1) and eviction
 * does not move memory.
 */

/** Per-entry overhead in the table size accounting (RFC 9204 §3.2.1). */
export const ENTRY_OVERHEAD = 32;

/** Size of an entry: name and value lengths in octets (not Huffman-coded) plus 32. */
export function entrySize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/** Called for every entry leaving the table, oldest first. */
export type EvictionListener = (absoluteIndex: number, name: string, value: string) => void;

export class DynamicTable {
  /** Current capacity in bytes (RFC 9204 §3.2.2); 0 until Set Dynamic Table Capacity. */
  capacity = 0;
  /** Sum of the sizes of the entries present. */
  size = 0;
  /** Entries ever inserted: the absolute index the next entry gets (RFC 9204 §3.2.4). */
  insertCount = 0;
  /** Absolute index of the oldest entry present (= number of entries evicted). */
  droppedCount = 0;

  private names: string[] = new Array<string>(16);
  private values: string[] = new Array<string>(16);
  private mask = 15;

  constructor(private readonly onEvict?: EvictionListener) {}

  /** Number of entries present. */
  get length(): number {
    return this.insertCount - this.droppedCount;
  }

  /** Whether the entry with this absolute index is present (inserted and not evicted). */
  has(absoluteIndex: number): boolean {
    return absoluteIndex >= this.droppedCount && absoluteIndex < this.insertCount;
  }

  /** Name of a present entry (check has() first). */
  name(absoluteIndex: number): string {
    return this.names[absoluteIndex & this.mask]!;
  }

  /** Value of a present entry (check has() first). */
  value(absoluteIndex: number): string {
    return this.values[absoluteIndex & this.mask]!;
  }

  /** Size of a present entry. */
  sizeOf(absoluteIndex: number): number {
    return entrySize(this.name(absoluteIndex), this.value(absoluteIndex));
  }

  /**
   * Changes the capacity, evicting the oldest entries until the size fits (RFC 9204 §3.2.2).
   * Whether that eviction is allowed is the encoder's concern.
   */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    this.evictTo(capacity);
  }

  /**
   * Adds an entry after evicting the oldest ones until it fits (RFC 9204 §3.2.2); returns its
   * absolute index. Throws RangeError if the entry is larger than the capacity: callers check
   * that first with the error code of their side.
   */
  insert(name: string, value: string): number {
    const size = entrySize(name, value);
    if (size > this.capacity) throw new RangeError(`entry of ${size} bytes exceeds capacity`);
    this.evictTo(this.capacity - size);
    if (this.length > this.mask) this.grow();
    const abs = this.insertCount++;
    this.names[abs & this.mask] = name;
    this.values[abs & this.mask] = value;
    this.size += size;
    return abs;
  }

  /**
   * The absolute index one past the last entry that inserting an entry of `size` bytes would
   * evict (droppedCount when nothing would be). Used by the encoder to check that every such
   * entry is evictable (RFC 9204 §2.1.1).
   */
  evictionEnd(size: number): number {
    let free = this.capacity - this.size;
    let abs = this.droppedCount;
    while (free < size && abs < this.insertCount) {
      free += this.sizeOf(abs);
      abs++;
    }
    return abs;
  }

  private evictTo(target: number): void {
    while (this.size > target) {
      const abs = this.droppedCount;
      const slot = abs & this.mask;
      const name = this.names[slot]!;
      const value = this.values[slot]!;
      this.size -= entrySize(name, value);
      // Drop the references so the strings can be collected.
      this.names[slot] = '';
      this.values[slot] = '';
      this.droppedCount++;
      this.onEvict?.(abs, name, value);
    }
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const names = new Array<string>(cap);
    const values = new Array<string>(cap);
    for (let abs = this.droppedCount; abs < this.insertCount; abs++) {
      names[abs & (cap - 1)] = this.names[abs & this.mask]!;
      values[abs & (cap - 1)] = this.values[abs & this.mask]!;
    }
    this.names = names;
    this.values = values;
    this.mask = cap - 1;
  }
}
