// Import direction of docs/ARCHITECTURE.md §2: a module under src/<layer>/ may import only from
// the layers listed for it here (and from itself). Anything else is an upward or sideways import.
import path from 'node:path';

const allowed = {
  util: [],
  wire: ['util'],
  crypto: ['util', 'wire'],
  tls: ['util', 'wire', 'crypto'],
  lb: ['util', 'crypto'],
  ack: ['util', 'wire'],
  cc: ['util', 'wire'],
  path: ['util', 'wire', 'ack', 'cc'],
  stream: ['util', 'wire', 'ack', 'cc', 'path'],
  conn: ['util', 'wire', 'crypto', 'tls', 'ack', 'cc', 'path', 'stream'],
  engine: ['util', 'wire', 'crypto', 'tls', 'ack', 'cc', 'path', 'stream', 'conn', 'lb'],
  h3: ['util', 'wire', 'crypto', 'tls', 'ack', 'cc', 'path', 'stream', 'conn', 'lb', 'engine'],
  testing: ['util', 'wire', 'crypto', 'tls', 'ack', 'cc', 'path', 'stream', 'conn', 'lb', 'engine'],
  node: ['util', 'wire', 'crypto', 'tls', 'ack', 'cc', 'path', 'stream', 'conn', 'lb', 'engine', 'h3'],
  cli: ['util', 'wire', 'crypto', 'tls', 'ack', 'cc', 'path', 'stream', 'conn', 'lb', 'engine', 'h3', 'node', 'testing'],
};

function layerOf(file) {
  const rel = path.relative(process.cwd(), file).split(path.sep);
  return rel[0] === 'src' && rel.length > 2 ? rel[1] : undefined;
}

export const importDirection = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the layer import direction of docs/ARCHITECTURE.md §2' },
    schema: [],
  },
  create(context) {
    const from = layerOf(context.filename);
    if (from === undefined || !(from in allowed)) return {};
    const check = (node) => {
      const spec = node.source && node.source.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), spec));
      if (to === undefined || to === from) return;
      if (!allowed[from].includes(to)) {
        context.report({
          node,
          message: `src/${from} must not import from src/${to} (docs/ARCHITECTURE.md §2)`,
        });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};
