/**
 * `npm run interop`: the QUIC Interop Runner's matrix on one machine. Every case (cases.ts) runs
 * with tsquic as the server against each peer's client and with each peer's server against
 * tsquic's client (tsquic against itself once), through the relay; prints the matrix and, with
 * --out DIR, writes matrix.json, matrix.md and the logs of failed cells.
 *
 *   npm run interop -- [--cases a,b] [--peers tsquic,ngtcp2,aioquic] [--quick] [--out DIR]
 *                      [--seed N] [--keep]
 *
 * Exit 0 when no cell failed (unsupported and unavailable cells are not failures), else 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, caseByName, type CaseSpec } from './cases.js';
import { peers, type PeerSpec } from './peers.js';
import { runCell, type CellResult, type Outcome } from './run.js';

export interface MatrixOptions {
  cases: readonly CaseSpec[];
  peers: readonly PeerSpec[];
  quick: boolean;
  workDir: string;
  keep: boolean;
  seed: number;
  /** Called after each cell. */
  onCell?: (r: CellResult) => void;
}

/** The server/client pairs: tsquic against itself, then each peer in both roles. */
export function pairs(list: readonly PeerSpec[]): [server: PeerSpec, client: PeerSpec][] {
  const tsquic = list.find((p) => p.name === 'tsquic');
  if (tsquic === undefined) throw new Error('the peers must include tsquic');
  const out: [PeerSpec, PeerSpec][] = [[tsquic, tsquic]];
  for (const p of list) {
    if (p === tsquic) continue;
    out.push([tsquic, p], [p, tsquic]);
  }
  return out;
}

export async function runMatrix(o: MatrixOptions): Promise<CellResult[]> {
  const results: CellResult[] = [];
  for (const spec of o.cases) {
    for (const [server, client] of pairs(o.peers)) {
      const r = await runCell(spec, server, client, {
        quick: o.quick,
        workDir: o.workDir,
        keep: o.keep,
        seed: o.seed,
      });
      results.push(r);
      o.onCell?.(r);
    }
  }
  return results;
}

const MARK: Record<Outcome, string> = {
  pass: '✓',
  fail: '✕',
  unsupported: '-',
  unavailable: '?',
};

/** The matrix as Markdown: a row per case, a column per server/client pair, then the notes. */
export function matrixMarkdown(results: readonly CellResult[]): string {
  const columns = [...new Set(results.map((r) => `${r.server}/${r.client}`))];
  const cases = [...new Set(results.map((r) => r.case))];
  const lines = [
    `| case | ${columns.join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
  ];
  for (const c of cases) {
    const cells = columns.map((col) => {
      const r = results.find((x) => x.case === c && `${x.server}/${x.client}` === col);
      return r === undefined ? '' : MARK[r.outcome];
    });
    lines.push(`| ${c} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    `server/client; ${Object.entries(MARK)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );
  const notes = results.filter((r) => r.outcome !== 'pass');
  if (notes.length > 0) {
    lines.push('');
    for (const r of notes)
      lines.push(`- ${r.case} ${r.server}/${r.client} (${r.outcome}): ${r.reason}`);
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string' },
      peers: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
    },
  });
  const cases =
    values.cases === undefined
      ? CASES
      : values.cases.split(',').map((n) => {
          const c = caseByName(n.trim());
          if (c === undefined)
            throw new Error(`unknown case '${n}' (cases: ${CASES.map((x) => x.name).join(', ')})`);
          return c;
        });
  const all = peers();
  const wanted = values.peers?.split(',').map((s) => s.trim()) ?? all.map((p) => p.name);
  const chosen = all.filter((p) => p.name === 'tsquic' || wanted.includes(p.name));
  const out = values.out;
  const workDir =
    out !== undefined ? path.resolve(out, 'cells') : path.join(tmpdir(), 'tsquic-interop');
  const results = await runMatrix({
    cases,
    peers: chosen,
    quick: values.quick,
    workDir,
    keep: values.keep,
    seed: Number(values.seed),
    onCell: (r) =>
      process.stderr.write(
        `${MARK[r.outcome]} ${r.case} ${r.server}/${r.client} ${(r.ms / 1000).toFixed(1)} s${r.reason === '' ? '' : `: ${r.reason}`}\n`,
      ),
  });
  const md = matrixMarkdown(results);
  process.stdout.write(md);
  if (out !== undefined) {
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'matrix.md'), md);
    writeFileSync(path.join(out, 'matrix.json'), JSON.stringify({ results }, null, 2) + '\n');
  }
  return results.some((r) => r.outcome === 'fail') ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main().then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`interop: ${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
