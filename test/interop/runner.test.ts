/**
 * The local interop runner (interop/runner, `npm run interop`) on a small subset of the matrix,
 * so CI checks the endpoint scripts, the relay and the checks end to end: a few cases with
 * tsquic against itself and against ngtcp2 in both roles (aioquic too when its venv is there),
 * `--quick` file sizes. Each cell must pass; the matrix renders every outcome.
 *
 * The peers are required in CI (CI=true): missing, the suite fails. Elsewhere the cells of a
 * missing peer are left out with a message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { caseByName, type CaseSpec } from '../../interop/runner/cases.js';
import { matrixMarkdown, pairs } from '../../interop/runner/main.js';
import { peers, type PeerSpec } from '../../interop/runner/peers.js';
import { runCell, type CellResult } from '../../interop/runner/run.js';
import { nativeUdpAddon } from '../../src/node/native-udp.js';

const CI = process.env['CI'] === 'true';

describe('interop runner (local matrix subset)', function () {
  this.timeout(120_000);
  let work = '';
  const results: CellResult[] = [];
  const available: PeerSpec[] = [];

  before(function () {
    for (const p of peers()) {
      if (p.missing === null) {
        available.push(p);
        continue;
      }
      if (CI && p.name !== 'aioquic') throw new Error(`interop peer missing in CI: ${p.missing}`);
      if (CI && process.env['AIOQUIC_PYTHON'] !== undefined) {
        throw new Error(`AIOQUIC_PYTHON is set but unusable: ${p.missing}`);
      }
      console.log(`    ${p.name} left out: ${p.missing}`);
    }
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-interop-runner-'));
  });

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  const cell = (name: string, server: string, client: string) =>
    async function (this: Mocha.Context) {
      const spec: CaseSpec = caseByName(name)!;
      const s = available.find((p) => p.name === server);
      const c = available.find((p) => p.name === client);
      if (s === undefined || c === undefined) this.skip();
      const r = await runCell(spec, s, c, { quick: true, workDir: work, keep: false, seed: 1 });
      results.push(r);
      assert.equal(r.outcome, 'pass', `${name} ${server}/${client}: ${r.reason}`);
    };

  for (const name of ['handshake', 'transfer', 'retry', 'keyupdate']) {
    for (const [server, client] of [
      ['tsquic', 'tsquic'],
      ['tsquic', 'ngtcp2'],
      ['ngtcp2', 'tsquic'],
    ] as const) {
      it(`${name}: ${server} server, ${client} client`, cell(name, server, client));
    }
  }
  // The slow ones (PTO backoff behind the drop list, loss) with tsquic on both sides only.
  for (const name of ['amplificationlimit', 'transferloss']) {
    it(`${name}: tsquic server, tsquic client`, cell(name, 'tsquic', 'tsquic'));
  }
  for (const [server, client] of [
    ['tsquic', 'aioquic'],
    ['aioquic', 'tsquic'],
  ] as const) {
    it(`handshake: ${server} server, ${client} client`, cell('handshake', server, client));
  }
  // Compatible version negotiation (RFC 9368): v1 first flights switched to v2.
  for (const [server, client] of [
    ['tsquic', 'tsquic'],
    ['tsquic', 'aioquic'],
    ['aioquic', 'tsquic'],
  ] as const) {
    it(`v2: ${server} server, ${client} client`, cell('v2', server, client));
  }

  /** A cell with tsquic on both sides. */
  const runTsquic = (spec: CaseSpec): Promise<CellResult> => {
    const tsquic = available.find((p) => p.name === 'tsquic')!;
    return runCell(spec, tsquic, tsquic, { quick: true, workDir: work, keep: false, seed: 1 });
  };

  // 0-RTT with the SETTINGS remembered in the session file (RFC 9114 §7.2.4.2): ngtcp2's server
  // sends SETTINGS_MAX_FIELD_SECTION_SIZE = 2^53, which the file must keep.
  it('zerortt: ngtcp2 server, tsquic client', cell('zerortt', 'ngtcp2', 'tsquic'));

  // ECN (RFC 9000 §13.4) needs the native sockets, in the relay and in tsquic's endpoint.
  const ecnCell = (server: string, client: string) =>
    async function (this: Mocha.Context) {
      if (CI) assert.ok(nativeUdpAddon(), 'the native UDP socket is required in CI');
      if (nativeUdpAddon() === null) {
        console.log('    ecn left out: the native UDP socket (native/ addon) did not load');
        this.skip();
      }
      await cell('ecn', server, client).call(this);
    };
  for (const [server, client] of [
    ['tsquic', 'tsquic'],
    ['tsquic', 'ngtcp2'],
    ['ngtcp2', 'tsquic'],
  ] as const) {
    it(`ecn: ${server} server, ${client} client`, ecnCell(server, client));
  }

  it('fails ecn on a path that bleaches the marks', async function () {
    if (nativeUdpAddon() === null) this.skip();
    // The relay on node:dgram sockets: every datagram leaves it Not-ECT.
    const spec: CaseSpec = { ...caseByName('ecn')!, ecn: false };
    const r = await runTsquic(spec);
    assert.equal(r.outcome, 'fail');
    assert.match(r.reason, /the client marked no packet ECT\(0\) or ECT\(1\)/);
  });

  // The checks read the wire: with the endpoints told to do the plain transfer instead, the
  // keyupdate and retry checks must fail on the trace, not pass on the downloaded files.
  for (const [name, why] of [
    ['keyupdate', /key phase 1 packets: client 0, server 0/],
    ['retry', /no Retry packet/],
  ] as const) {
    it(`fails ${name} when the endpoints do a plain transfer`, async () => {
      const spec: CaseSpec = { ...caseByName(name)!, testcase: () => 'transfer' };
      const r = await runTsquic(spec);
      assert.equal(r.outcome, 'fail');
      assert.match(r.reason, why);
    });
  }

  it('reports an unsupported case as such, not as a failure', async () => {
    // Version negotiation, which the client endpoint refuses (exit 127), in a case the relay
    // can run.
    const spec: CaseSpec = {
      ...caseByName('handshake')!,
      testcase: (role) => (role === 'client' ? 'versionnegotiation' : 'handshake'),
    };
    const r = await runTsquic(spec);
    assert.equal(r.outcome, 'unsupported', r.reason);
    assert.match(r.reason, /reserved version/);
  });

  it('renders the matrix with a column per server/client pair', () => {
    assert.ok(results.length > 0);
    const md = matrixMarkdown(results);
    assert.match(md, /^\| case \| tsquic\/tsquic/);
    assert.match(md, /\| handshake \| ✓/);
    assert.deepEqual(pairs(available).map(([s, c]) => `${s.name}/${c.name}`)[0], 'tsquic/tsquic');
  });
});
