/**
 * Over real UDP: `tsquic serve --keys FILE` killed without a word (SIGKILL, all state lost) and
 * started again on its port with the same key file resets a `tsquic/node` client's connection
 * as soon as the client sends (RFC 9000 §10.3: the token is derived from the shared key and the
 * CID), where a server with another key file leaves the client to its idle timeout.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/args.js';
import { decodeKeyMaterial } from '../../src/engine/key-material.js';
import { connect, type QuicNodeError } from '../../src/node/index.js';
import { Children, nodeArgsFor } from './helpers.js';

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
async function serve(args: string[], port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = children.spawn([
    ...CLI,
    'serve',
    '--alpn',
    'hq-interop',
    '--port',
    String(port),
    ...args,
  ]);
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
  this.timeout(60_000);
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
        const conn = connect(`https://127.0.0.1:${first.port}`, {
          alpn: ['hq-interop'],
          insecure: true,
          idleTimeout: 3000,
        });
        await conn.ready;
        await kill(first.child);
        await serve(
          same ? ['--keys', keysA, '--server-id', 'beef'] : ['--keys', keysB],
          first.port,
        );
        const stream = await conn.openStream();
        stream.write('GET /nothing\r\n');
        const err = await conn.closed.then(
          () => null,
          (e: QuicNodeError) => e,
        );
        assert.equal(err?.code, same ? 'ERR_QUIC_STATELESS_RESET' : 'ERR_QUIC_TIMEOUT');
      },
    );
  }

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
