/**
 * Session tickets, PSK resumption (psk_dhe_ke) and 0-RTT between the TLS client and server.
 */
import assert from 'node:assert/strict';
import { toHex, utf8 } from '../../src/util/bytes.js';
import { TransportError } from '../../src/wire/errors.js';
import { Alert } from '../../src/tls/alert.js';
import { ExtensionType, HandshakeType } from '../../src/tls/constants.js';
import { findExtension } from '../../src/tls/extensions.js';
import { decodeClientHello } from '../../src/tls/messages.js';
import {
  decodeEncryptedExtensions,
  encodeEncryptedExtensions,
} from '../../src/tls/messages-auth.js';
import {
  decodeSessionTicket,
  encodeSessionTicket,
  sessionTicketValid,
  sessionTicketWithAppData,
} from '../../src/tls/session-ticket.js';
import { TicketKeys } from '../../src/tls/ticket-keys.js';
import type { TlsClientConfig, TlsServerConfig } from '../../src/tls/types.js';
import {
  Level,
  NOW,
  type Pair,
  type TestPki,
  clientConfig,
  editMessage,
  handshake,
  makePki,
  provider,
  serverConfig,
} from './harness.js';

let pki: TestPki;
before(function () {
  this.timeout(10000);
  pki = makePki('ec-p256');
});

function assertSecretsAgree(p: Pair): void {
  assert.equal(p.client.alert, null, p.client.alert?.reason);
  assert.equal(p.server.alert, null, p.server.alert?.reason);
  assert.ok(p.client.completed && p.server.completed);
  for (const level of [Level.Handshake, Level.Application]) {
    assert.equal(toHex(p.client.secret(level, 'write')!), toHex(p.server.secret(level, 'read')!));
    assert.equal(toHex(p.server.secret(level, 'write')!), toHex(p.client.secret(level, 'read')!));
  }
}

/** A first connection that yields a ticket. */
async function getTicket(
  keys: TicketKeys,
  cc: Partial<TlsClientConfig> = {},
  sc: Partial<TlsServerConfig> = {},
): Promise<Uint8Array> {
  const p = await handshake(clientConfig(pki, cc), serverConfig(pki, { ticketKeys: keys, ...sc }));
  assertSecretsAgree(p);
  assert.equal(p.client.tickets.length, 1);
  return p.client.tickets[0]!;
}

describe('tls resumption', () => {
  it('issues a ticket at the Application level after the handshake', async () => {
    const keys = new TicketKeys(provider);
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki, { ticketKeys: keys, ticketCount: 2, ticketAppData: utf8('srv') }),
    );
    assertSecretsAgree(p);
    const last = p.server.data.at(-1)!;
    assert.equal(last.level, Level.Application);
    assert.equal(last.data[0], HandshakeType.new_session_ticket);
    assert.equal(p.client.tickets.length, 2);
    const t = decodeSessionTicket(p.client.tickets[0]!);
    assert.equal(t.alpn, 'h3');
    assert.equal(t.serverName, 'example.com');
    assert.equal(t.cipherSuite, 'TLS_AES_128_GCM_SHA256');
    assert.equal(t.receivedAt, NOW);
    assert.equal(t.lifetime, 12 * 3600);
    assert.equal(t.maxEarlyData, 0);
    assert.equal(t.appData.length, 0);
    assert.ok(sessionTicketValid(t, NOW + 1000));
    assert.ok(!sessionTicketValid(t, NOW + 12 * 3600_000));
    // Each ticket has its own PSK (distinct nonces).
    const t2 = decodeSessionTicket(p.client.tickets[1]!);
    assert.notEqual(toHex(t.psk), toHex(t2.psk));
  });

  it('resumes with psk_dhe_ke, without certificates', async () => {
    const keys = new TicketKeys(provider);
    const ticket = await getTicket(keys);
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket }),
      serverConfig(pki, { ticketKeys: keys }),
    );
    assertSecretsAgree(p);
    assert.ok(p.client.session.resumed && p.server.session.resumed);
    assert.deepEqual(p.client.session.peerCertificates, []);
    assert.equal(p.client.session.earlyDataAccepted, false);
    // The resumed connection issues a fresh ticket too.
    assert.equal(p.client.tickets.length, 1);
  });

  it('resumes a SHA-384 ticket even when the client prefers SHA-256 suites', async () => {
    const keys = new TicketKeys(provider);
    const ticket = await getTicket(keys, { cipherSuites: ['TLS_AES_256_GCM_SHA384'] });
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket }),
      serverConfig(pki, {
        ticketKeys: keys,
        cipherSuites: ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'],
      }),
    );
    assertSecretsAgree(p);
    assert.ok(p.server.session.resumed);
    assert.equal(p.client.session.cipherSuite, 'TLS_AES_256_GCM_SHA384');
  });

  it('falls back to a full handshake when the suite hash differs', async () => {
    const keys = new TicketKeys(provider);
    const ticket = await getTicket(keys, { cipherSuites: ['TLS_AES_256_GCM_SHA384'] });
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket }),
      serverConfig(pki, { ticketKeys: keys, cipherSuites: ['TLS_AES_128_GCM_SHA256'] }),
    );
    assertSecretsAgree(p);
    assert.equal(p.server.session.resumed, false);
  });

  it('falls back to a full handshake when the server cannot open the ticket', async () => {
    const ticket = await getTicket(new TicketKeys(provider));
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket }),
      serverConfig(pki, { ticketKeys: new TicketKeys(provider) }),
    );
    assertSecretsAgree(p);
    assert.equal(p.client.session.resumed, false);
    assert.deepEqual(p.client.session.peerCertificates, pki.server.chain);
  });

  it('does not offer an expired ticket or one for another name', async () => {
    const keys = new TicketKeys(provider);
    const ticket = await getTicket(keys);
    for (const cc of [
      { currentTime: () => NOW + 12 * 3600_000 },
      { serverName: '127.0.0.1' },
    ] as Partial<TlsClientConfig>[]) {
      const p = await handshake(
        clientConfig(pki, { sessionTicket: ticket, ...cc }),
        serverConfig(pki, { ticketKeys: keys }),
      );
      assertSecretsAgree(p);
      assert.equal(p.client.session.resumed, false);
      const ch = decodeClientHello(p.client.data[0]!.data.subarray(4));
      assert.equal(findExtension(ch.extensions, ExtensionType.pre_shared_key), undefined);
    }
  });

  it('rejects a ticket when the key rotated twice, accepts after one rotation', async () => {
    const keys = new TicketKeys(provider, { rotationMs: 3600_000 });
    const ticket = await getTicket(keys, {}, { ticketLifetime: 7200 });
    const at = (ms: number): boolean => {
      return keys.open(decodeSessionTicket(ticket).ticket, ms) !== null;
    };
    assert.ok(at(NOW + 3600_000 + 1));
    assert.ok(!at(NOW + 3 * 3600_000));
  });

  it('resumes after a HelloRetryRequest (binder over message_hash and HRR)', async () => {
    const keys = new TicketKeys(provider);
    const ticket = await getTicket(keys);
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket, groups: ['x25519', 'secp256r1'] }),
      serverConfig(pki, { ticketKeys: keys, groups: ['secp256r1'] }),
    );
    assertSecretsAgree(p);
    assert.ok(p.server.session.resumed);
    assert.equal(p.client.data.filter((d) => d.level === Level.Initial).length, 2);
  });

  it('fails with decrypt_error on a bad binder', async () => {
    const keys = new TicketKeys(provider);
    const ticket = await getTicket(keys);
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket }),
      serverConfig(pki, { ticketKeys: keys }),
      (from, _level, data) => {
        if (from !== 'client' || data[0] !== HandshakeType.client_hello) return data;
        const d = data.slice();
        d[d.length - 1] = d[d.length - 1]! ^ 1;
        return d;
      },
    );
    assert.equal(p.server.alert?.alert, Alert.decrypt_error);
  });

  it('remembers the client certificate across resumption', async () => {
    const keys = new TicketKeys(provider);
    const auth = { clientAuth: { required: true, trustAnchors: [pki.caCert] } };
    const ticket = await getTicket(keys, { certificate: pki.client }, auth);
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket, certificate: pki.client }),
      serverConfig(pki, { ticketKeys: keys, ...auth }),
    );
    assertSecretsAgree(p);
    assert.ok(p.server.session.resumed);
    assert.deepEqual(p.server.session.peerCertificates, [pki.client.chain[0]]);
  });

  it('refuses a max_early_data_size other than 0xffffffff with PROTOCOL_VIOLATION', async () => {
    const keys = new TicketKeys(provider);
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki, { ticketKeys: keys, earlyData: true }),
      (from, level, data) => {
        if (from !== 'server' || level !== Level.Application) return data;
        const d = data.slice();
        d[d.length - 1] = 0; // max_early_data_size is the last field
        return d;
      },
    );
    assert.equal(p.client.alert?.alert, Alert.illegal_parameter);
    assert.equal(p.client.alert?.transportError, TransportError.PROTOCOL_VIOLATION);
    assert.equal(p.client.tickets.length, 0);
  });

  it('ignores a ticket with a lifetime of zero', async () => {
    const keys = new TicketKeys(provider);
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki, { ticketKeys: keys }),
      (from, level, data) => {
        if (from !== 'server' || level !== Level.Application) return data;
        const d = data.slice();
        d.fill(0, 4, 8);
        return d;
      },
    );
    assertSecretsAgree(p);
    assert.equal(p.client.tickets.length, 0);
  });
});

describe('tls 0-RTT', () => {
  async function zeroRtt(
    sc: Partial<TlsServerConfig> = {},
    cc: Partial<TlsClientConfig> = {},
    ticketServer: Partial<TlsServerConfig> = {},
  ): Promise<Pair> {
    const keys = new TicketKeys(provider);
    const ticket = await getTicket(keys, {}, { earlyData: true, ...ticketServer });
    assert.equal(decodeSessionTicket(ticket).maxEarlyData, 0xffffffff);
    return handshake(
      clientConfig(pki, { sessionTicket: ticket, earlyData: true, ...cc }),
      serverConfig(pki, { ticketKeys: keys, earlyData: true, ...sc }),
    );
  }

  it('is accepted: both sides derive the same client early traffic secret', async () => {
    const log: string[] = [];
    const p = await zeroRtt({}, { keyLog: (l) => log.push(l) });
    assertSecretsAgree(p);
    // Right after the ClientHello.
    assert.deepEqual(p.client.events.slice(0, 2), ['data:0', 'secret:1/write']);
    const cw = p.client.secret(Level.EarlyData, 'write')!;
    assert.equal(toHex(cw), toHex(p.server.secret(Level.EarlyData, 'read')!));
    assert.ok(p.client.session.earlyDataAccepted && p.server.session.earlyDataAccepted);
    assert.ok(p.client.session.resumed);
    assert.ok(log.some((l) => l.startsWith('CLIENT_EARLY_TRAFFIC_SECRET ')));
    // The server's EarlyData read secret comes before its ServerHello.
    assert.ok(p.server.events.indexOf('secret:1/read') < p.server.events.indexOf('data:0'));
  });

  it('is rejected when the server disables it, still resuming', async () => {
    const p = await zeroRtt({ earlyData: false });
    assertSecretsAgree(p);
    assert.ok(p.client.secret(Level.EarlyData, 'write'));
    assert.equal(p.server.secret(Level.EarlyData, 'read'), undefined);
    assert.equal(p.client.session.earlyDataAccepted, false);
    assert.equal(p.server.session.earlyDataAccepted, false);
    assert.ok(p.client.session.resumed);
  });

  it('is rejected by acceptEarlyData, which sees the ticket app data', async () => {
    const seen: string[] = [];
    const p = await zeroRtt(
      {
        acceptEarlyData: (d) => {
          seen.push(toHex(d));
          return false;
        },
      },
      {},
      { ticketAppData: utf8('tp-v1') },
    );
    assertSecretsAgree(p);
    assert.deepEqual(seen, [toHex(utf8('tp-v1'))]);
    assert.equal(p.client.session.earlyDataAccepted, false);
  });

  it('is rejected when the ALPN differs from the ticket', async () => {
    // The ticket is for h3; the server now prefers hq, which the client also offers.
    const q = await zeroRtt({ alpnProtocols: ['hq', 'h3'] }, { alpnProtocols: ['h3', 'hq'] });
    assertSecretsAgree(q);
    assert.equal(q.client.session.alpn, 'hq');
    assert.equal(q.client.session.earlyDataAccepted, false);
  });

  it('is rejected when the ticket age is off by more than the allowed skew', async () => {
    const p = await zeroRtt({ currentTime: () => NOW + 60_000 });
    assertSecretsAgree(p);
    assert.ok(p.server.session.resumed);
    assert.equal(p.server.session.earlyDataAccepted, false);
  });

  it('is rejected after a HelloRetryRequest', async () => {
    const p = await zeroRtt({ groups: ['secp384r1'] }, { groups: ['x25519', 'secp384r1'] });
    assertSecretsAgree(p);
    assert.ok(p.server.session.resumed);
    assert.equal(p.client.session.earlyDataAccepted, false);
    assert.equal(p.server.secret(Level.EarlyData, 'read'), undefined);
  });

  it('early_data in EncryptedExtensions without the PSK -> illegal_parameter', async () => {
    const ticket = await getTicket(new TicketKeys(provider), {}, { earlyData: true });
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket, earlyData: true }),
      serverConfig(pki, { ticketKeys: new TicketKeys(provider), earlyData: true }),
      editMessage('server', HandshakeType.encrypted_extensions, (m) =>
        encodeEncryptedExtensions([
          ...decodeEncryptedExtensions(m.subarray(4)),
          { type: ExtensionType.early_data, data: new Uint8Array(0) },
        ]),
      ),
    );
    assert.equal(p.client.alert?.alert, Alert.illegal_parameter);
  });

  it('is not attempted when the ticket does not allow it', async () => {
    const keys = new TicketKeys(provider);
    const ticket = await getTicket(keys);
    const p = await handshake(
      clientConfig(pki, { sessionTicket: ticket, earlyData: true }),
      serverConfig(pki, { ticketKeys: keys, earlyData: true }),
    );
    assertSecretsAgree(p);
    assert.equal(p.client.secret(Level.EarlyData, 'write'), undefined);
  });
});

describe('session ticket bytes', () => {
  it('carry application data and round-trip', () => {
    const t = {
      cipherSuite: 'TLS_CHACHA20_POLY1305_SHA256' as const,
      psk: new Uint8Array(32).fill(7),
      ticket: Uint8Array.of(1, 2, 3),
      ageAdd: 0xfedcba98,
      lifetime: 7200,
      receivedAt: NOW,
      maxEarlyData: 0xffffffff,
      alpn: 'h3',
      serverName: null,
      appData: new Uint8Array(0),
    };
    const bytes = encodeSessionTicket(t);
    assert.deepEqual(decodeSessionTicket(bytes), t);
    const withData = sessionTicketWithAppData(bytes, utf8('remembered tp'));
    assert.deepEqual(decodeSessionTicket(withData).appData, utf8('remembered tp'));
    assert.throws(() => decodeSessionTicket(bytes.subarray(0, bytes.length - 1)), TypeError);
    assert.throws(() => decodeSessionTicket(Uint8Array.of(9)), TypeError);
  });
});
