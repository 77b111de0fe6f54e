// Enforces per-directory line coverage thresholds on the c8 summary (coverage/coverage-summary.json).
// c8 itself can only check the whole tree or each file; the foundation issue asks for >= 90% of
// lines in src/wire and src/crypto.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const thresholds = { 'src/wire': 90, 'src/crypto': 90 };
const summary = JSON.parse(readFileSync('coverage/coverage-summary.json', 'utf8'));
let failed = false;
for (const [dir, min] of Object.entries(thresholds)) {
  let total = 0;
  let covered = 0;
  for (const [file, s] of Object.entries(summary)) {
    if (file === 'total') continue;
    const rel = path.relative(process.cwd(), file).replace(/\\/g, '/');
    if (!rel.startsWith(dir + '/')) continue;
    total += s.lines.total;
    covered += s.lines.covered;
  }
  const pct = total === 0 ? 0 : (100 * covered) / total;
  const ok = total > 0 && pct >= min;
  console.log(`coverage ${dir}: ${pct.toFixed(1)}% of ${total} lines (minimum ${min}%) ${ok ? 'ok' : 'FAIL'}`);
  if (!ok) failed = true;
}
process.exit(failed ? 1 : 0);
