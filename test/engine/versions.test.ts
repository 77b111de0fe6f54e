/**
 * The versions a server accepts (ServerConfig.versions): the engine is the one place that answers
 * other versions with Version Negotiation (RFC 9000 §6.1).
 */
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { createEnginePair, testCertificate } from '../../src/testing/index.js';
import type { CloseInfo } from '../../src/conn/connection.js';
import { parseInvariantHeader } from '../../src/wire/header.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';

describe('engine: the versions a server accepts', () => {
  it('a v1-only server answers a v2-only client with Version Negotiation listing v1', () => {
    const p = createEnginePair({
      server: { versions: [QUIC_V1] },
      client: { version: QUIC_V2, versions: [QUIC_V2] },
    });
    const offered: number[][] = [];
    p.net.onSend = (d, from) => {
      const h = from.port === p.serverAddress.port ? parseInvariantHeader(d, 0) : null;
      if (h !== null && h.version === 0) {
        const view = new DataView(d.buffer, d.byteOffset, d.length);
        const start = 7 + h.dcid.length + h.scid.length;
        const versions: number[] = [];
        for (let o = start; o + 4 <= d.length; o += 4) versions.push(view.getUint32(o));
        offered.push(versions);
      }
    };
    let closed: CloseInfo | null = null;
    p.conn.on('close', (info) => (closed = info));
    assert.ok(p.runUntil(() => closed !== null, 5_000_000));
    assert.equal(closed!.source, 'version_negotiation');
    assert.equal(p.serverConn(), null, 'the server kept no state');
    assert.ok(offered.length > 0, 'a Version Negotiation packet was sent');
    // RFC 9000 §6.1: the versions offered, here only v1 (the grease version aside, if any).
    for (const v of offered) assert.ok(v.includes(QUIC_V1) && !v.includes(QUIC_V2), `${v}`);
  });

  it('the same server completes a v1 handshake', () => {
    const p = createEnginePair({ server: { versions: [QUIC_V1] } });
    assert.ok(p.handshake());
    assert.equal(p.serverConn()!.getStats().version, QUIC_V1);
  });

  it('a version the engine does not speak is a configuration error', () => {
    const { cert } = testCertificate();
    assert.throws(
      () => new Engine({ server: { alpn: ['t'], certificate: cert, versions: [0x0a0a0a0a] } }),
      RangeError,
    );
  });
});
