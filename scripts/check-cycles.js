#!/usr/bin/env node
/**
 * Fails on any import cycle between the TypeScript files under src/ (inside a folder as well as
 * between folders). Plain Node, no dependencies: reads every `import ... from '...'` and
 * `export ... from '...'` (type-only ones too: a cycle of types is still a cycle of modules
 * for the reader), resolves relative `.js` specifiers to their `.ts` files, finds the strongly
 * connected components of the graph (Tarjan) and prints one cycle through each.
 *
 *   node scripts/check-cycles.js [dir]   (default: src)
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// `import x from '...'`, `import type {...} from '...'`, `export * from '...'`,
// `export { a } from '...'`, and bare `import '...'`; comments are removed first.
const SPECIFIER =
  /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}

function importsOf(file) {
  const text = stripComments(readFileSync(file, 'utf8'));
  const deps = new Set();
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    if (existsSync(target)) deps.add(target);
    else if (existsSync(join(target.replace(/\.ts$/, ''), 'index.ts'))) {
      deps.add(join(target.replace(/\.ts$/, ''), 'index.ts'));
    }
  }
  return [...deps];
}

const files = tsFiles(root);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

// Tarjan's strongly connected components, iterative (no recursion limit on deep graphs).
let index = 0;
const idx = new Map();
const low = new Map();
const onStack = new Set();
const stack = [];
const components = [];
for (const start of files) {
  if (idx.has(start)) continue;
  const work = [[start, 0]];
  idx.set(start, index);
  low.set(start, index++);
  stack.push(start);
  onStack.add(start);
  while (work.length > 0) {
    const frame = work[work.length - 1];
    const [v, i] = frame;
    const deps = graph.get(v) ?? [];
    if (i < deps.length) {
      frame[1]++;
      const w = deps[i];
      if (!idx.has(w)) {
        idx.set(w, index);
        low.set(w, index++);
        stack.push(w);
        onStack.add(w);
        work.push([w, 0]);
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), idx.get(w)));
      }
      continue;
    }
    work.pop();
    if (work.length > 0) {
      const parent = work[work.length - 1][0];
      low.set(parent, Math.min(low.get(parent), low.get(v)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (comp.length > 1 || selfLoop) components.push(comp);
    }
  }
}

/** One cycle through `from` inside the component (breadth-first back to `from`). */
function cycleThrough(from, members) {
  const inComp = new Set(members);
  const prev = new Map();
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!inComp.has(w)) continue;
      if (w === from) {
        const path = [from];
        for (let x = v; x !== from; x = prev.get(x)) path.splice(1, 0, x);
        return [...path, from];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [from, from];
}

const rel = (f) => relative(process.cwd(), f);
for (const comp of components) {
  const sorted = comp.map(rel).sort();
  console.error(`import cycle among ${comp.length} files: ${sorted.join(', ')}`);
  const cycle = cycleThrough(comp[comp.length - 1], comp).map(rel);
  console.error(`  e.g. ${cycle.join(' -> ')}`);
}
if (components.length === 0) {
  console.log(`check-cycles: no import cycle among ${files.length} files`);
  process.exit(0);
}
console.error(`check-cycles: ${components.length} import cycle(s)`);
process.exit(1);
