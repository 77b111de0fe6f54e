/**
 * Interoperability with ngtcp2's example programs from Debian (ngtcp2 with GnuTLS, HTTP/3 over
 * QUIC v1): `gtlsserver` and `gtlsclient`. Both directions complete the handshake with ALPN h3
 * for each TLS 1.3 cipher suite and each key-exchange group, with ECDSA and RSA certificates.
 * HTTP/3 itself is not spoken by tsquic's server yet: only the handshake is asserted.
 *
 * The peers are required in CI (CI=true): missing, the suite fails. Elsewhere it is skipped
 * with a message.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import {
  connect,
  createServer,
  type QuicConnection,
  type QuicNodeError,
  type QuicServer,
} from '../../src/node/index.js';
import { createSelfSignedCertificate, pemEncode } from '../../src/tls/x509/index.js';
import type { CipherSuiteName } from '../../src/tls/types.js';
import type { KeyExchangeGroup } from '../../src/crypto/provider.js';
import { Children, testCert, waitExit, type TestCert } from '../node/helpers.js';

/** Where Debian installs the tools, then $PATH. */
function findTool(name: string, usual: string): string | null {
  if (existsSync(usual)) return usual;
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir !== '' && existsSync(p)) return p;
  }
  return null;
}

const GTLS_SERVER = findTool('gtlsserver', '/usr/sbin/gtlsserver');
const GTLS_CLIENT = findTool('gtlsclient', '/usr/bin/gtlsclient');

const CIPHERS: [gnutls: string, ours: CipherSuiteName][] = [
  ['AES-128-GCM', 'TLS_AES_128_GCM_SHA256'],
  ['AES-256-GCM', 'TLS_AES_256_GCM_SHA384'],
  ['CHACHA20-POLY1305', 'TLS_CHACHA20_POLY1305_SHA256'],
];
const GROUPS: [gnutls: string, ours: KeyExchangeGroup][] = [
  ['X25519', 'x25519'],
  ['SECP256R1', 'secp256r1'],
  ['SECP384R1', 'secp384r1'],
];
const cipherPriority = (c: string): string => `NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+${c}`;
const groupPriority = (g: string): string => `-GROUP-ALL:+GROUP-${g}`;

/**
 * Ports for gtlsserver: a block chosen from the process id in a range the kernel does not hand
 * out as ephemeral ports (32768-60999 on Linux starts above it), advanced on every use.
 */
let nextPort = 20_000 + (process.pid % 400) * 25;
const takePort = (): number => nextPort++;

const children = new Children();

interface CertFiles extends TestCert {
  certFile: string;
  keyFile: string;
}

function rsaCert(): TestCert {
  const made = createSelfSignedCertificate(defaultProvider, {
    names: ['localhost', '127.0.0.1'],
    keyType: 'rsa',
    notBefore: Date.UTC(2020, 0, 1),
    notAfter: Date.UTC(2099, 0, 1),
  });
  return {
    certPem: pemEncode('CERTIFICATE', made.certificate),
    keyPem: pemEncode('PRIVATE KEY', made.pkcs8),
    der: made.certificate,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('interop: ngtcp2 (gtlsserver / gtlsclient)', function () {
  let dir: string;
  let ecdsa: CertFiles;
  let rsa: CertFiles;

  before(function () {
    if (GTLS_SERVER === null || GTLS_CLIENT === null) {
      if (process.env['CI'] === 'true') {
        throw new Error(
          'gtlsserver/gtlsclient are missing: CI must install ngtcp2-server and ngtcp2-client (.ci/run)',
        );
      }
      console.log(
        '    skipped: gtlsserver/gtlsclient not installed (apt-get install ngtcp2-server ngtcp2-client)',
      );
      this.skip();
    }
    dir = mkdtempSync(path.join(tmpdir(), 'tsquic-ngtcp2-'));
    const write = (name: string, c: TestCert): CertFiles => {
      const certFile = path.join(dir, `${name}-cert.pem`);
      const keyFile = path.join(dir, `${name}-key.pem`);
      writeFileSync(certFile, c.certPem);
      writeFileSync(keyFile, c.keyPem);
      return { ...c, certFile, keyFile };
    };
    ecdsa = write('ecdsa', testCert(['localhost', '127.0.0.1']));
    rsa = write('rsa', rsaCert());
  });

  after(() => {
    children.killAll();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts gtlsserver on a fresh port; returns it with the child. */
  function gtlsserver(
    cert: CertFiles,
    extra: string[] = [],
  ): { child: ChildProcess; port: number; output: () => string } {
    const port = takePort();
    const child = children.spawn([
      GTLS_SERVER!,
      '--no-quic-dump',
      '--no-http-dump',
      ...extra,
      '127.0.0.1',
      String(port),
      cert.keyFile,
      cert.certFile,
    ]);
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    return { child, port, output: () => output };
  }

  /**
   * Connects our client, retrying while the port still refuses (gtlsserver binding): polling
   * for readiness, bounded.
   */
  async function connectWhenReady(
    server: { child: ChildProcess; port: number; output: () => string },
    opts: {
      ca: string;
      serverName?: string;
      versions?: number[];
      groups?: KeyExchangeGroup[];
      keyShareGroups?: KeyExchangeGroup[];
      random?: () => number;
    },
  ): Promise<QuicConnection> {
    for (let attempt = 0; ; attempt++) {
      const conn = connect(
        { host: '127.0.0.1', port: server.port },
        { alpn: ['h3'], serverName: 'localhost', ...opts },
      );
      try {
        await conn.ready;
        return conn;
      } catch (e) {
        const code = (e as QuicNodeError).code;
        if (code !== 'ERR_QUIC_REFUSED' || attempt >= 100 || server.child.exitCode !== null) {
          throw new Error(
            `${(e as Error).message}; gtlsserver said: ${server.output().slice(-2000)}`,
          );
        }
        await sleep(20);
      }
    }
  }

  describe('our client against gtlsserver (ALPN h3)', () => {
    for (const [gnutls, ours] of CIPHERS) {
      it(`completes the handshake with ${ours}`, async () => {
        const server = gtlsserver(ecdsa, [`--ciphers=${cipherPriority(gnutls)}`]);
        const conn = await connectWhenReady(server, { ca: ecdsa.certPem });
        assert.equal(conn.alpn, 'h3');
        assert.equal(conn.getStats().cipher, ours);
        await conn.close();
        server.child.kill();
      });
    }

    for (const [gnutls, ours] of GROUPS) {
      it(`completes the handshake with ${ours}`, async () => {
        const server = gtlsserver(ecdsa, [`--groups=${groupPriority(gnutls)}`]);
        // Our key shares are X25519MLKEM768 and x25519: the other groups go through
        // HelloRetryRequest.
        const conn = await connectWhenReady(server, { ca: ecdsa.certPem });
        assert.equal(conn.getStats().group, ours);
        await conn.close();
        server.child.kill();
      });
    }

    // GnuTLS 3.7 (Debian 12) has no ML-KEM: it must pick our second share, x25519, or ask for
    // it with a HelloRetryRequest when we send only the hybrid share.
    it('offers X25519MLKEM768 and x25519 shares: a server without ML-KEM picks x25519', async () => {
      const server = gtlsserver(ecdsa);
      const conn = await connectWhenReady(server, { ca: ecdsa.certPem });
      assert.equal(conn.getStats().group, 'x25519');
      await conn.close();
      server.child.kill();
    });

    it('a client offering v2 in version_information still completes in v1 (RFC 9368 §2.3)', async () => {
      // ngtcp2 0.12 speaks v1 only (its v2 is a draft codepoint): the offer is ignored.
      const server = gtlsserver(ecdsa);
      const conn = await connectWhenReady(server, {
        ca: ecdsa.certPem,
        versions: [0x6b3343cf, 1],
      });
      assert.equal(conn.getStats().version, 1);
      await conn.close();
      server.child.kill();
    });

    it('only an X25519MLKEM768 share: a HelloRetryRequest for x25519, then the handshake', async () => {
      const server = gtlsserver(ecdsa);
      const conn = await connectWhenReady(server, {
        ca: ecdsa.certPem,
        keyShareGroups: ['X25519MLKEM768'],
      });
      assert.equal(conn.getStats().group, 'x25519');
      await conn.close();
      server.child.kill();
    });

    it('greases the QUIC bit (RFC 9287): gtlsserver advertises it and takes packets with it cleared', async () => {
      const server = gtlsserver(ecdsa);
      // A random source of zeros clears the bit on every packet once the server's parameters
      // are known: the handshake confirms only if gtlsserver accepts them (our Finished).
      const conn = await connectWhenReady(server, { ca: ecdsa.certPem, random: () => 0 });
      const core = conn.core;
      for (let i = 0; i < 250 && !core.handshakeConfirmed; i++) await sleep(20);
      assert.equal(core.peerParams?.greaseQuicBit, true, 'gtlsserver advertises grease_quic_bit');
      assert.ok(core.handshakeConfirmed, 'handshake confirmed');
      assert.ok(
        core.quicBit.cleared > 0,
        `packets sent with the bit cleared: ${core.quicBit.cleared}`,
      );
      await conn.close();
      server.child.kill();
    });

    it('completes the handshake with an RSA certificate', async () => {
      const server = gtlsserver(rsa);
      const conn = await connectWhenReady(server, { ca: rsa.certPem });
      assert.equal(conn.alpn, 'h3');
      await conn.close();
      server.child.kill();
    });

    it('refuses an unknown CA, a wrong host name and an expired certificate', async () => {
      const server = gtlsserver(ecdsa);
      const other = testCert(['other.example']);
      await assert.rejects(
        connectWhenReady(server, { ca: other.certPem }),
        /certificate error: unknown_ca/,
      );
      await assert.rejects(
        connectWhenReady(server, { ca: ecdsa.certPem, serverName: 'wrong.example' }),
        /certificate error: .*wrong\.example/,
      );
      server.child.kill();
      const expiredCert = testCert(['localhost'], {
        notBefore: Date.UTC(2001, 0, 1),
        notAfter: Date.UTC(2002, 0, 1),
      });
      const expiredFiles: CertFiles = {
        ...expiredCert,
        certFile: path.join(dir, 'expired-cert.pem'),
        keyFile: path.join(dir, 'expired-key.pem'),
      };
      writeFileSync(expiredFiles.certFile, expiredCert.certPem);
      writeFileSync(expiredFiles.keyFile, expiredCert.keyPem);
      const old = gtlsserver(expiredFiles);
      await assert.rejects(
        connectWhenReady(old, { ca: expiredCert.certPem }),
        /certificate error: .*expired/,
      );
      old.child.kill();
    });
  });

  describe('gtlsclient against our server (ALPN h3)', () => {
    let server: QuicServer;
    let rsaServer: QuicServer;
    let port: number;
    let rsaPort: number;
    /** Our side of each connection that completed its handshake, by client port. */
    const handshakes: { cipher: string | null; group: string | null }[] = [];

    before(async () => {
      const onConnection = (conn: QuicConnection): void => {
        conn.on('handshakeDone', () => {
          const s = conn.getStats();
          handshakes.push({ cipher: s.cipher, group: s.group });
          // No HTTP/3 here yet: end politely (H3_NO_ERROR) so gtlsclient exits.
          void conn.close(0x100, 'tsquic: handshake only');
        });
      };
      server = createServer({ cert: ecdsa.certPem, key: ecdsa.keyPem, alpn: ['h3'] }, onConnection);
      rsaServer = createServer({ cert: rsa.certPem, key: rsa.keyPem, alpn: ['h3'] }, onConnection);
      port = (await server.listen(0, '127.0.0.1')).port;
      rsaPort = (await rsaServer.listen(0, '127.0.0.1')).port;
    });

    after(async () => {
      await server?.close();
      await rsaServer?.close();
    });

    async function gtlsclient(p: number, extra: string[]): Promise<string> {
      const before = handshakes.length;
      const child = children.spawn([
        GTLS_CLIENT!,
        '--no-quic-dump',
        '--no-http-dump',
        '--timeout=5s',
        ...extra,
        '127.0.0.1',
        String(p),
        `https://localhost:${p}/`,
      ]);
      const r = await waitExit(child, 15_000);
      const output = r.stdout + r.stderr;
      assert.match(output, /QUIC handshake has completed/, output.slice(-2000));
      assert.equal(handshakes.length, before + 1, 'our server saw the handshake complete');
      return output;
    }

    for (const [gnutls, ours] of CIPHERS) {
      it(`completes the handshake with ${ours}`, async () => {
        const out = await gtlsclient(port, [`--ciphers=${cipherPriority(gnutls)}`]);
        assert.match(out, new RegExp(`Negotiated cipher suite is ${gnutls}`));
        assert.match(out, /Negotiated ALPN is h3/);
        assert.equal(handshakes.at(-1)!.cipher, ours);
      });
    }

    for (const [gnutls, ours] of GROUPS) {
      it(`completes the handshake with ${ours}`, async () => {
        await gtlsclient(port, [`--groups=${groupPriority(gnutls)}`]);
        assert.equal(handshakes.at(-1)!.group, ours);
      });
    }

    it('completes the handshake with an RSA certificate', async () => {
      const out = await gtlsclient(rsaPort, []);
      assert.match(out, /Negotiated ALPN is h3/);
    });
  });
});
