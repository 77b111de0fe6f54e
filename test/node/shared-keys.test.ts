/**
 * Over real UDP: `tsquic serve --keys FILE` killed without a word (SIGKILL, all state lost) and
 * started again on its port with the same key file resets a `tsquic/node` client's connection
 * as soon as the client sends (RFC 9000 §10.3: the token is derived from the shared key and the
 * CID), where a server with another key file leaves the client to its idle timeout.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/args.js';
import {
  decodeKeyMaterial,
  encodeKeyMaterial as encode,
  generateKeyMaterial,
} from '../../src/engine/key-material.js';
import { connect, createServer, type QuicNodeError } from '../../src/node/index.js';
import { Children, nodeArgsFor, testCert } from './helpers.js';

const CLI = [process.execPath, ...nodeArgsFor(import.meta.url, '../../src/cli/main')];
const children = new Children();

async function tsquic(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: CliIo = {
    stdout: { write: () => {} },
    stderr: { write: (s) => void (stderr += s) },
    readStdin: () => Promise.resolve(null),
  };
  return { code: await main(args, io), stderr };
}

/** `tsquic serve` on `port` (0: any); resolves once it listens. */
async function serve(
  args: string[],
  port: number,
  alpn = 'hq-interop',
): Promise<{ child: ChildProcess; port: number }> {
  const child = children.spawn([...CLI, 'serve', '--alpn', alpn, '--port', String(port), ...args]);
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const bound = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on [^\n]*:(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, port: bound };
}

async function kill(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

describe('tsquic serve --keys over UDP: stateless reset after a restart', function () {
  this.timeout(120_000);
  let work: string;
  let keysA: string;
  let keysB: string;

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-keys-'));
    keysA = path.join(work, 'a.json');
    keysB = path.join(work, 'b.json');
    assert.equal((await tsquic('keys', '--out', keysA, '--quic-lb', '1:2:6')).code, 0);
    assert.equal((await tsquic('keys', '--out', keysB)).code, 0);
    assert.equal(statSync(keysA).mode & 0o777, 0o600, 'the key file is private');
    assert.equal(decodeKeyMaterial(readFileSync(keysA, 'utf8')).quicLb?.serverIdLength, 2);
    const again = await tsquic('keys', '--out', keysA);
    assert.equal(again.code, 1, 'an existing key file is not overwritten');
    assert.match(again.stderr, /file exists/);
  });

  after(() => {
    children.killAll();
    rmSync(work, { recursive: true, force: true });
  });

  for (const same of [true, false]) {
    it(
      same ? 'same key file: the client is reset' : 'other key file: no reset, idle timeout',
      async () => {
        const first = await serve(['--keys', keysA, '--server-id', 'beef'], 0);
        // With the same keys the reset must come however long the restart takes (a long idle
        // timeout); with other keys only the idle timeout can end the connection.
        const conn = connect(`https://127.0.0.1:${first.port}`, {
          alpn: ['hq-interop'],
          insecure: true,
          idleTimeout: same ? 120_000 : 2_000,
        });
        await conn.ready;
        // `ready` comes with the client's Finished; a request answered (here a reset: no such
        // file) shows that the server holds the connection before it is killed.
        const probe = await conn.openStream();
        probe.on('error', () => {});
        probe.resume();
        const answered = new Promise((resolve) => probe.once('close', resolve));
        probe.end('GET /nothing\r\n');
        await answered;
        await kill(first.child);
        await serve(
          same ? ['--keys', keysA, '--server-id', 'beef'] : ['--keys', keysB],
          first.port,
        );
        const closed = conn.closed.then(
          () => null,
          (e: QuicNodeError) => e,
        );
        try {
          const stream = await conn.openStream();
          stream.write('GET /nothing\r\n');
        } catch (e) {
          // Already timed out while the server restarted (other keys only).
          assert.equal((e as QuicNodeError).code, 'ERR_QUIC_TIMEOUT');
        }
        const err = await closed;
        assert.equal(err?.code, same ? 'ERR_QUIC_STATELESS_RESET' : 'ERR_QUIC_TIMEOUT');
      },
    );
  }

  it('same key file: HTTP/3 0-RTT to the restarted server (one engine, then workers) is accepted', async () => {
    const keysC = path.join(work, 'c.json');
    assert.equal((await tsquic('keys', '--out', keysC)).code, 0);
    writeFileSync(path.join(work, 'hello.txt'), 'hello\n');
    const session = path.join(work, 'session.json');
    mkdirSync(path.join(work, 'out'));
    const get = async (port: number, ...extra: string[]): Promise<Record<string, unknown>> => {
      const r = await tsquic(
        'get',
        '--insecure',
        '-o',
        path.join(work, 'out'),
        '--session',
        session,
        '--stats',
        ...extra,
        `https://127.0.0.1:${port}/hello.txt`,
      );
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
      assert.equal(lines.length, 1, r.stderr);
      return JSON.parse(lines[0]!) as Record<string, unknown>;
    };
    const root = ['--root', work, '--keys', keysC];
    const first = await serve([...root, '--workers', '1'], 0, 'h3');
    assert.equal((await get(first.port))['resumed'], false);
    await kill(first.child);
    // The ticket remembered the transport limits and the HTTP/3 SETTINGS of the first server;
    // the restarted one (the same defaults, now in worker threads) still meets them.
    const again = await serve([...root, '--workers', '2'], first.port, 'h3');
    const stats = await get(again.port, '--early-data');
    assert.equal(stats['resumed'], true);
    assert.equal(stats['earlyDataAccepted'], true);
    assert.equal(readFileSync(path.join(work, 'out', 'hello.txt'), 'utf8'), 'hello\n');
    await kill(again.child);
  });

  it('refuses a malformed key file and a server ID of the wrong length', async () => {
    const r1 = await tsquic('serve', '--keys', path.join(work, 'missing.json'));
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /no such file/);
    const r2 = await tsquic('serve', '--keys', keysA, '--server-id', 'beefbeef');
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--server-id must be 2 bytes/);
    const r3 = await tsquic('serve', '--keys', keysB, '--server-id', 'beef');
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /no quicLb section/);
  });
});

describe('tsquic/node servers sharing keys over UDP', function () {
  this.timeout(30_000);
  const { certPem, keyPem } = testCert();

  /** An echo server; `conn.getStats()` of each accepted connection is kept. */
  async function echoServer(o: Partial<Parameters<typeof createServer>[0]>) {
    const accepted: { resumed: () => boolean }[] = [];
    const server = createServer(
      { cert: certPem, key: keyPem, alpn: ['echo'], earlyData: true, ...o },
      (conn) => {
        accepted.push({ resumed: () => conn.getStats().resumed });
        conn.on('stream', (st) => st.pipe(st));
      },
    );
    const { port } = await server.listen(0, '127.0.0.1');
    return { server, port, accepted };
  }

  async function ticketFrom(port: number): Promise<Uint8Array | null> {
    const conn = connect(`https://localhost:${port}`, { alpn: ['echo'], ca: certPem });
    const ticket = new Promise<Uint8Array>((resolve) => conn.once('sessionTicket', resolve));
    await conn.ready;
    const t = await Promise.race([ticket, conn.closed.then(() => null)]);
    await conn.close();
    return t;
  }

  it('a ticket from server A resumes with 0-RTT on server B (same keys), not on C (others)', async () => {
    const keys = generateKeyMaterial();
    const a = await echoServer({ keys });
    const b = await echoServer({ keys: decodeKeyMaterial(encode(keys)) });
    const c = await echoServer({ keys: generateKeyMaterial() });
    try {
      const ticket = await ticketFrom(a.port);
      assert.ok(ticket);
      for (const [srv, shared] of [
        [b, true],
        [c, false],
      ] as const) {
        const conn = connect(`https://localhost:${srv.port}`, {
          alpn: ['echo'],
          ca: certPem,
          session: ticket,
          earlyData: true,
        });
        const stream = await conn.openStream();
        stream.end('ping');
        let echoed = '';
        for await (const chunk of stream) echoed += String(chunk);
        assert.equal(echoed, 'ping');
        assert.equal(conn.getStats().resumed, shared);
        assert.equal(conn.getStats().earlyDataAccepted, shared);
        assert.equal(srv.accepted.at(-1)!.resumed(), shared);
        await conn.close();
      }
    } finally {
      await Promise.all([a.server.close(), b.server.close(), c.server.close()]);
    }
  });

  it('sessionTickets: false issues no ticket even with keys', async () => {
    const { server, port } = await echoServer({
      keys: generateKeyMaterial(),
      sessionTickets: false,
    });
    try {
      const conn = connect(`https://localhost:${port}`, { alpn: ['echo'], ca: certPem });
      let tickets = 0;
      conn.on('sessionTicket', () => tickets++);
      await conn.ready;
      const stream = await conn.openStream();
      stream.end('x');
      for await (const _ of stream) void _;
      await conn.close();
      assert.equal(tickets, 0);
    } finally {
      await server.close();
    }
  });
});
