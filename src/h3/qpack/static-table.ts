/**
 * The QPACK static table (RFC 9204 §3.1, Appendix A) with the lookups an encoder needs. Indices
 * start at 0, unlike HPACK's.
 */
import { STATIC_TABLE } from './static-table-data.js';

export { STATIC_TABLE };

/** Number of static table entries (99). */
export const STATIC_TABLE_SIZE = STATIC_TABLE.length;

// name -> (value -> lowest index), and name -> lowest index with that name.
const exact = new Map<string, Map<string, number>>();
const byName = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], index) => {
  let values = exact.get(name);
  if (values === undefined) exact.set(name, (values = new Map()));
  if (!values.has(value)) values.set(value, index);
  if (!byName.has(name)) byName.set(name, index);
});

/** Index of the entry with this exact name and value, or -1. */
export function staticExactIndex(name: string, value: string): number {
  return exact.get(name)?.get(value) ?? -1;
}

/** Index of an entry with this name, or -1. */
export function staticNameIndex(name: string): number {
  return byName.get(name) ?? -1;
}
