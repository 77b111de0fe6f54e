/** Loads the RFC test vectors copied from shared/vectors (see test/vectors/README.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
// Works from test/ (tsx) and from dist/test/ (compiled): the JSON stays in the source tree.
const dir = [path.join(here, 'vectors'), path.join(here, '..', '..', 'test', 'vectors')].find(
  (d) => {
    try {
      readFileSync(path.join(d, 'quic-v1-initial.json'));
      return true;
    } catch {
      return false;
    }
  },
)!;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadVector(name: string): any {
  return JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
}
