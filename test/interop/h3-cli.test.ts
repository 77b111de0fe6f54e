/**
 * HTTP/3 through the `tsquic` commands: `tsquic serve` (a child process, h3 first in its
 * default ALPN list) fetched by `tsquic get` (in-process, h3 by default) and by ngtcp2's
 * gtlsclient. Bodies are compared byte for byte. gtlsclient follows the policy of
 * h3-ngtcp2.test.ts: required in CI, skipped with a message elsewhere.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { createSelfSignedCertificate, pemEncode } from '../../src/tls/x509/index.js';
import { nodeArgsFor, payload, waitExit } from '../node/helpers.js';

const CLI = [process.execPath, ...nodeArgsFor(import.meta.url, '../../src/cli/main')];
const GTLSCLIENT = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/bin']
  .filter((dir) => dir !== '')
  .map((dir) => path.join(dir, 'gtlsclient'))
  .find((file) => existsSync(file));

/** Runs `tsquic ARGS` in this process with captured output. */
async function tsquic(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s) => void (stdout += s) },
    stderr: { write: (s) => void (stderr += s) },
    readStdin: () => Promise.resolve(null),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('h3 through tsquic serve and tsquic get', function () {
  this.timeout(30_000);
  let work = '';
  let www = '';
  let certFile = '';
  let serve: ChildProcess | null = null;
  let port = 0;
  const small = payload(1024, 3);
  const big = payload(600 * 1024 + 5, 4);

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-h3-cli-'));
    www = path.join(work, 'www');
    mkdirSync(www);
    writeFileSync(path.join(www, 'small.bin'), small);
    writeFileSync(path.join(www, 'big.bin'), big);
    writeFileSync(path.join(work, 'outside.txt'), 'secret');
    const cert = createSelfSignedCertificate(defaultProvider, {
      names: ['localhost', '127.0.0.1'],
    });
    certFile = path.join(work, 'cert.pem');
    const keyFile = path.join(work, 'key.pem');
    writeFileSync(certFile, pemEncode('CERTIFICATE', cert.certificate));
    writeFileSync(keyFile, pemEncode('PRIVATE KEY', cert.pkcs8));
    const child = spawn(
      CLI[0]!,
      [
        ...CLI.slice(1),
        'serve',
        '--port',
        '0',
        '--root',
        www,
        '--cert',
        certFile,
        '--key',
        keyFile,
        '--multipath',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    serve = child;
    let out = '';
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /listening on [^\n]*:(\d+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${code}: ${err}`));
      });
    });
  });

  after(async () => {
    if (serve !== null && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await waitExit(serve, 5000); // SIGKILL after that
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('tsquic get fetches over h3 by default, byte for byte, on one connection', async () => {
    const out = path.join(work, 'out');
    mkdirSync(out);
    const r = await tsquic(
      'get',
      '--ca',
      certFile,
      '-o',
      out,
      '--stats',
      `https://localhost:${port}/small.bin`,
      `https://localhost:${port}/big.bin`,
    );
    assert.equal(r.code, 0, r.stderr);
    const stats = JSON.parse(r.stderr) as Record<string, unknown>;
    assert.equal(stats['alpn'], 'h3');
    assert.ok(readFileSync(path.join(out, 'small.bin')).equals(small));
    assert.ok(readFileSync(path.join(out, 'big.bin')).equals(big));
  });

  it('tsquic get --multipath --path-from opens a second path to tsquic serve --multipath', async () => {
    const out = path.join(work, 'out-mp');
    mkdirSync(out);
    const r = await tsquic(
      'get',
      '--ca',
      certFile,
      '-o',
      out,
      '--stats',
      '--multipath',
      '--path-from',
      '127.0.0.2',
      `https://127.0.0.1:${port}/small.bin`,
      `https://127.0.0.1:${port}/big.bin`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(path.join(out, 'small.bin')).equals(small));
    assert.ok(readFileSync(path.join(out, 'big.bin')).equals(big));
    const stats = JSON.parse(r.stderr) as {
      paths?: { pathId: number; local: string; bytesSent: number }[];
    };
    assert.equal(stats.paths?.length, 2, r.stderr);
    const second = stats.paths!.find((p) => p.pathId === 1)!;
    assert.match(second.local, /^127\.0\.0\.2:/);
    assert.ok(second.bytesSent >= 1200, 'at least its PATH_CHALLENGE went on it');
  });

  it('tsquic get reports a 404 in one line, for missing files and paths outside the root', async () => {
    for (const target of ['/nope.bin', '/..%2foutside.txt', '/%2e%2e/outside.txt']) {
      const r = await tsquic('get', '--ca', certFile, `https://127.0.0.1:${port}${target}`);
      assert.equal(r.code, 1, target);
      // One line; the URL as printed is normalized ('/%2e%2e/x' is '/x').
      assert.match(
        r.stderr,
        /^tsquic: https:\/\/127\.0\.0\.1:\d+\/\S*: HTTP status 404 \(not found\)\n$/,
      );
    }
  });

  it('gtlsclient fetches from tsquic serve over h3, byte for byte', async function () {
    if (GTLSCLIENT === undefined) {
      if (process.env['CI'] === 'true') throw new Error('gtlsclient missing in CI (ngtcp2-client)');
      console.log('      skipped: gtlsclient not found (apt-get install ngtcp2-client)');
      this.skip();
    }
    const out = mkdtempSync(path.join(work, 'gtls-'));
    const child = spawn(
      GTLSCLIENT,
      [
        '127.0.0.1',
        String(port),
        `https://127.0.0.1:${port}/big.bin`,
        `https://127.0.0.1:${port}/small.bin`,
        '--download',
        out,
        '--exit-on-all-streams-close',
        '--timeout=10s',
        '-q',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const r = await waitExit(child, 20_000); // SIGKILL after that
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(readFileSync(path.join(out, 'big.bin')).equals(big));
    assert.ok(readFileSync(path.join(out, 'small.bin')).equals(small));
  });
});
