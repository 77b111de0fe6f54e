import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../src/util/bytes.js';
import {
  PacketProtector,
  backend,
  defaultProvider,
  describeBackend,
} from '../../src/crypto/index.js';
import { inspectCommand } from '../../src/cli/inspect.js';
import { describeSocket } from '../../src/node/socket-choice.js';
import type { DissectionJson } from '../../src/testing/dissect.js';
import { forgeLongPacket } from '../../src/testing/forge.js';
import { loadVector } from '../vectors.js';
import { runCli, type CliRun } from './run-cli.js';

const V1 = loadVector('quic-v1-initial.json');
const V2 = loadVector('quic-v2-initial.json');
const CLIENT_HEX = V1.client_initial_packet.protected_packet as string;
const SERVER_HEX = V1.server_initial_packet.protected_packet as string;
const DCID_HEX = V1.client_dcid as string;

const run = (argv: string[], stdin: Uint8Array | null = null): Promise<CliRun> =>
  runCli(argv, { stdin });

async function runJson(argv: string[]): Promise<{ code: number; json: DissectionJson }> {
  const r = await run(['inspect', '--json', ...argv]);
  assert.equal(r.stderr, '');
  return { code: r.code, json: JSON.parse(r.stdout) as DissectionJson };
}

/** A usage error: exit code 2, nothing on stdout, exactly one `tsquic: ` line on stderr. */
function assertUsageError(r: CliRun, pattern: RegExp): void {
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^tsquic: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const frames = (p: any): any[] => p.frames;

describe('cli/inspect', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsquic-inspect-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, v, version] of [
    ['RFC 9001 A.2', V1, 1],
    ['RFC 9369 A.2', V2, 0x6b3343cf],
  ] as const) {
    it(`decodes the ${name} client Initial as JSON`, async () => {
      const { code, json } = await runJson([v.client_initial_packet.protected_packet as string]);
      assert.equal(code, 0);
      assert.equal(json.packets.length, 1);
      const p = json.packets[0]!;
      assert.equal(p.type, 'initial');
      assert.equal(p['version'], version);
      assert.equal(p['packetNumber'], 2);
      assert.equal(p['dcid'], v.client_dcid);
      const [crypto, padding] = frames(p);
      assert.equal(crypto.type, 'crypto');
      assert.equal(crypto.offset, 0);
      assert.equal(crypto.length, 241);
      assert.equal(crypto.data, (v.client_initial_packet.crypto_frame as string).slice(8));
      assert.deepEqual(padding, { type: 'padding', length: 917 });
      assert.equal(frames(p).length, 2);
    });
  }

  it('decodes the server Initial with --dcid: ACK, CRYPTO and the ServerHello', async () => {
    const { code, json } = await runJson(['--dcid', DCID_HEX, SERVER_HEX]);
    assert.equal(code, 0);
    const p = json.packets[0]!;
    assert.equal(p['sender'], 'server');
    assert.equal(p['packetNumber'], 1);
    assert.deepEqual(
      frames(p).map((f) => f.type),
      ['ack', 'crypto'],
    );
    assert.deepEqual(frames(p)[0], { type: 'ack', largest: 0, ackDelay: 0, ranges: [[0, 0]] });
    const [sh] = p['tls'] as Record<string, unknown>[];
    assert.equal(sh!['messageType'], 'server_hello');
    assert.equal(sh!['cipherSuite'], 'TLS_AES_128_GCM_SHA256');
    assert.equal(sh!['keyShareGroup'], 'x25519');
  });

  it('summarizes the ClientHello: SNI, ALPN, suites, transport parameters', async () => {
    const { json } = await runJson([CLIENT_HEX]);
    const [ch] = json.packets[0]!['tls'] as Record<string, unknown>[];
    assert.equal(ch!['messageType'], 'client_hello');
    assert.equal(ch!['sni'], 'example.com');
    assert.deepEqual(ch!['alpn'], ['alpn']);
    assert.deepEqual(ch!['cipherSuites'], ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384']);
    assert.deepEqual(ch!['keyShareGroups'], ['x25519']);
    const tp = ch!['transportParameters'] as Record<string, unknown>;
    assert.equal(tp['initial_source_connection_id'], DCID_HEX);
    assert.equal(tp['max_idle_timeout'], 30000);
    assert.equal(tp['initial_max_data'], '4611686018427387903');
  });

  it('reads several datagrams as one connection', async () => {
    const { code, json } = await runJson([CLIENT_HEX, SERVER_HEX]);
    assert.equal(code, 0);
    assert.deepEqual(
      json.packets.map((p) => [p.datagram, p['sender'], p['error']]),
      [
        [0, 'client', undefined],
        [1, 'server', undefined],
      ],
    );
  });

  it('prints text by default', async () => {
    const r = await run(['inspect', CLIENT_HEX]);
    assert.equal(r.code, 0);
    const lines = r.stdout.split('\n');
    assert.equal(
      lines[0],
      'initial v1 from client dcid=8394c8f03e515708 scid="" len=1182 pn=2 (1200 bytes at 0)',
    );
    assert.match(lines[1]!, /^ {2}crypto offset=0 length=241 data=010000ed/);
    assert.equal(lines[2], '  padding length=917');
    assert.ok(lines.includes('    sni: example.com'));
  });

  it('reports a tampered packet with the reason and exit code 1', async () => {
    const bad = fromHex(CLIENT_HEX);
    bad[500]! ^= 0x80;
    const { code, json } = await runJson([toHex(bad)]);
    assert.equal(code, 1);
    assert.equal(json.packets[0]!.type, 'initial');
    assert.match(json.packets[0]!['error'] as string, /^authentication failed/);
    assert.equal(json.packets[0]!['frames'], undefined);
    const text = await run(['inspect', toHex(bad)]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /\n {2}error: authentication failed/);
  });

  it('exits 1 for a server Initial without --dcid, saying what is missing', async () => {
    const r = await run(['inspect', SERVER_HEX]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /needs the DCID of the client's first Initial/);
  });

  describe('input', () => {
    it('reads raw binary and hex text files, blank lines separating datagrams', async () => {
      const bin = path.join(dir, 'client.bin');
      writeFileSync(bin, fromHex(CLIENT_HEX));
      const a = await runJson(['--file', bin]);
      assert.equal(a.code, 0);
      assert.equal(a.json.packets[0]!['packetNumber'], 2);

      // A hex dump wrapped over lines is one datagram; a blank line starts the next.
      const wrapped = (hex: string): string => hex.match(/.{1,64}/g)!.join('\n');
      const txt = path.join(dir, 'flight.txt');
      writeFileSync(txt, `${wrapped(CLIENT_HEX)}\n\n  \n0x${SERVER_HEX.toUpperCase()}\n`);
      const b = await runJson(['-f', txt]);
      assert.equal(b.code, 0);
      assert.deepEqual(b.json.datagrams, [{ size: 1200 }, { size: 135 }]);
      assert.equal(b.json.packets[1]!['sender'], 'server');
    });

    it('reads standard input when there is no HEX and no --file', async () => {
      const hex = await run(['inspect', '--json'], new TextEncoder().encode(`${CLIENT_HEX}\n`));
      assert.equal(hex.code, 0);
      assert.equal((JSON.parse(hex.stdout) as DissectionJson).packets[0]!['packetNumber'], 2);
      const bin = await run(['inspect', '--dcid', DCID_HEX], fromHex(SERVER_HEX));
      assert.equal(bin.code, 0);
      assert.match(bin.stdout, /^initial v1 from server /);
    });

    it('decrypts Handshake packets with --keylog', async () => {
      const secret = new Uint8Array(32).fill(7);
      const packet = forgeLongPacket({
        type: 'handshake',
        dcid: fromHex('aabbccdd'),
        scid: fromHex('11223344'),
        packetNumber: 3,
        frames: [{ kind: 'ping' }],
        protector: new PacketProtector(defaultProvider, 'TLS_CHACHA20_POLY1305_SHA256', secret, 1),
      });
      const without = await run(['inspect', toHex(packet)]);
      assert.equal(without.code, 1);
      assert.match(without.stdout, /error: no keys for handshake packets/);
      const keylog = path.join(dir, 'keys.log');
      writeFileSync(
        keylog,
        `SERVER_HANDSHAKE_TRAFFIC_SECRET ${'00'.repeat(32)} ${toHex(secret)}\n`,
      );
      const { code, json } = await runJson(['--keylog', keylog, toHex(packet)]);
      assert.equal(code, 0);
      assert.equal(json.packets[0]!['packetNumber'], 3);
      assert.equal(json.packets[0]!['sender'], 'server');
    });
  });

  describe('usage errors: one line on stderr, exit code 2', () => {
    it('bad hex', async () => {
      assertUsageError(
        await run(['inspect', 'c0ffeg']),
        /HEX is not hex: unexpected 'g' at digit 6/,
      );
      assertUsageError(await run(['inspect', 'abc']), /odd number of digits/);
      assertUsageError(await run(['inspect', '--dcid', 'xyz', CLIENT_HEX]), /--dcid is not hex/);
      const txt = path.join(dir, 'bad.txt');
      writeFileSync(txt, 'c0 00 zz\n');
      assertUsageError(await run(['inspect', '-f', txt]), /bad\.txt is not hex/);
    });

    it('bad options and arguments', async () => {
      assertUsageError(await run(['inspect', '--nope']), /unknown option '--nope'/);
      assertUsageError(await run(['inspect', '--dcid']), /--dcid/);
      assertUsageError(await run(['inspect', '--json=yes', CLIENT_HEX]), /--json/);
      assertUsageError(
        await run(['inspect', '--dcid', '00'.repeat(21), CLIENT_HEX]),
        /at most 20 bytes/,
      );
      assertUsageError(
        await run(['inspect', '--short-dcid-length', '21', CLIENT_HEX]),
        /from 0 to 20/,
      );
      assertUsageError(await run(['inspect', '--file', 'x', CLIENT_HEX]), /not both/);
      assertUsageError(await run(['frobnicate']), /unknown command 'frobnicate'/);
      assertUsageError(await run(['--frobnicate']), /unknown option '--frobnicate'/);
    });

    it('missing or empty input', async () => {
      assertUsageError(
        await run(['inspect', '-f', path.join(dir, 'missing.bin')]),
        /cannot read .*missing\.bin: no such file/,
      );
      assertUsageError(await run(['inspect', '-f', dir]), /is a directory/);
      assertUsageError(await run(['inspect']), /no datagram/);
      assertUsageError(await run(['inspect'], new Uint8Array(0)), /standard input is empty/);
      assertUsageError(
        await run(['inspect'], new TextEncoder().encode('\n \n')),
        /standard input is empty/,
      );
      const keylog = path.join(dir, 'broken.log');
      writeFileSync(keylog, 'CLIENT_TRAFFIC_SECRET_0 nothex\n');
      assertUsageError(
        await run(['inspect', '--keylog', keylog, CLIENT_HEX]),
        /broken\.log: key log line 1/,
      );
    });
  });

  describe('help and version', () => {
    it('inspect --help mentions every flag', async () => {
      const r = await run(['inspect', '--help']);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^Usage: tsquic inspect \[options\] \[HEX\.\.\.\]/);
      for (const [name, spec] of Object.entries(inspectCommand.options)) {
        assert.ok(r.stdout.includes(`--${name}`), `--${name} missing from help`);
        assert.ok(r.stdout.includes(spec.description));
        if (spec.short !== undefined) assert.ok(r.stdout.includes(`-${spec.short}, --${name}`));
      }
      assert.ok(r.stdout.includes('-h, --help'));
      assert.deepEqual(await run(['help', 'inspect']), r);
    });

    it('tsquic --help lists the commands; no arguments prints it to stderr with code 2', async () => {
      const r = await run(['--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: tsquic <command>/);
      assert.match(r.stdout, /\n {2}inspect +decode QUIC datagrams/);
      const none = await run([]);
      assert.equal(none.code, 2);
      assert.equal(none.stdout, '');
      assert.equal(none.stderr, r.stdout);
    });

    it('--version prints the package version and the backend', async () => {
      const here = path.dirname(fileURLToPath(import.meta.url));
      const pkgPath = [
        path.join(here, '../../package.json'),
        path.join(here, '../../../package.json'),
      ].find((p) => {
        try {
          return (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'tsquic';
        } catch {
          return false;
        }
      })!;
      const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
      for (const flag of ['--version', '-V']) {
        assert.deepEqual(await run([flag]), {
          code: 0,
          stdout:
            `tsquic ${version}\nbackend: ${describeBackend(backend)}\n` +
            `udp socket: ${describeSocket(backend.provider.name)}\n`,
          stderr: '',
        });
      }
    });
  });

  it('runs as a program: the entry point calls main and sets the exit code', function () {
    this.timeout(60000);
    // From test/cli (tsx) the entry is src/cli/main.ts; from dist/test/cli it is main.js.
    const here = fileURLToPath(import.meta.url);
    const ts = here.endsWith('.ts');
    const entry = path.join(path.dirname(here), '../../src/cli', ts ? 'main.ts' : 'main.js');
    const node = (args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, [...(ts ? ['--import', 'tsx'] : []), entry, ...args], {
        encoding: 'utf8',
        timeout: 20000,
      });
    // One run (starting a process is slow): a packet that fails, so the exit code is not 0.
    const bad = fromHex(CLIENT_HEX);
    bad[700]! ^= 1;
    const r = node(['inspect', toHex(bad)]);
    assert.equal(r.status, 1, String(r.stderr));
    assert.equal(r.stderr, '');
    assert.match(
      String(r.stdout),
      /^initial v1 dcid=8394c8f03e515708 .*\n {2}error: authentication failed/,
    );
  });
});
