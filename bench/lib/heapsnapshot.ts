/**
 * Where heap memory goes, from V8 heap snapshots (`v8.getHeapSnapshot()`): the shallow size and
 * count of objects per constructor (or per kind for arrays, strings, code ...), and the growth
 * between two snapshots. This is the memory counterpart of the .cpuprofile summary: it explains a
 * missed memory target by what the added objects are.
 */
import v8 from 'node:v8';
import { collectGarbage } from './timing.js';

/** The parts of the .heapsnapshot format read here. */
interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  /** Constructor name, or "(kind)" for arrays, strings, code, closures ... */
  name: string;
  count: number;
  bytes: number;
}

export interface HeapSummary {
  title: string;
  figureId: string;
  /** Growth of the shallow sizes of all objects between the two snapshots, bytes. */
  totalBytes: number;
  /** Divisor for per-unit figures (e.g. the number of connections created in between). */
  units: number;
  /** Largest growth first. */
  top: HeapGroup[];
}

/** Shallow size and count per group of one parsed snapshot. */
export function groupHeap(s: HeapSnapshotJson): Map<string, HeapGroup> {
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, HeapGroup>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!] ?? 'unknown';
    const name =
      type === 'object' || type === 'native'
        ? (s.strings[s.nodes[i + iName]!] ?? '?')
        : `(${type})`;
    let g = out.get(name);
    if (g === undefined) {
      g = { name, count: 0, bytes: 0 };
      out.set(name, g);
    }
    g.count++;
    g.bytes += s.nodes[i + iSize]!;
  }
  return out;
}

/** What grew from `before` to `after`, the `topN` largest groups first. */
export function diffHeap(
  before: Map<string, HeapGroup>,
  after: Map<string, HeapGroup>,
  title: string,
  figureId: string,
  units: number,
  topN = 15,
): HeapSummary {
  const grown: HeapGroup[] = [];
  let total = 0;
  for (const [name, a] of after) {
    const b = before.get(name);
    const bytes = a.bytes - (b?.bytes ?? 0);
    total += bytes;
    if (bytes > 0) grown.push({ name, count: a.count - (b?.count ?? 0), bytes });
  }
  for (const [name, b] of before) if (!after.has(name)) total -= b.bytes;
  grown.sort((x, y) => y.bytes - x.bytes);
  return { title, figureId, totalBytes: total, units, top: grown.slice(0, topN) };
}

/** Takes a heap snapshot of this process (after a full GC) and groups it. */
export async function snapshotGroups(): Promise<Map<string, HeapGroup>> {
  collectGarbage();
  const chunks: Buffer[] = [];
  for await (const chunk of v8.getHeapSnapshot()) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return groupHeap(JSON.parse(Buffer.concat(chunks).toString('utf8')) as HeapSnapshotJson);
}
