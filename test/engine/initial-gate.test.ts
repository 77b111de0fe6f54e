import assert from 'node:assert/strict';
import { acceptDecision, tokenVerdict } from '../../src/engine/initial-gate.js';
import type { TokenCheck } from '../../src/engine/tokens.js';
import type { ClientHelloPeek } from '../../src/tls/client-hello-peek.js';
import type { LongHeader } from '../../src/wire/header.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';

const DCID = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const header = { version: QUIC_V1, dcid: DCID } as LongHeader;
const hello = {} as ClientHelloPeek;
const remote = { address: '192.0.2.1', port: 1234 };
const retry = (version: number): TokenCheck => ({
  kind: 'retry',
  version,
  contents: { originalDcid: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), retryScid: Uint8Array.of(7) },
});

describe('engine: the Initial gate', () => {
  it('no token: unvalidated, the original DCID is the Initial’s (a copy)', () => {
    const v = tokenVerdict(header, null, hello, QUIC_V1);
    assert.equal(v.kind, 'checked');
    if (v.kind !== 'checked') return;
    assert.equal(v.validated, false);
    assert.deepEqual(v.originalDcid, DCID);
    assert.notEqual(v.originalDcid, DCID);
    assert.equal(v.retrySourceCid, undefined);
  });

  it('a Retry token validates and names the original DCID and the Retry’s SCID', () => {
    const v = tokenVerdict(header, retry(QUIC_V1), hello, QUIC_V1);
    assert.deepEqual(v, {
      kind: 'checked',
      validated: true,
      originalDcid: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9),
      retrySourceCid: Uint8Array.of(7),
    });
    // RFC 9369 §4.1: the Initial answering a Retry keeps the Retry's version.
    assert.deepEqual(tokenVerdict(header, retry(QUIC_V2), hello, QUIC_V1), { kind: 'drop' });
  });

  it('a NEW_TOKEN token validates only for the version chosen, with a ClientHello start', () => {
    const token: TokenCheck = { kind: 'new_token', version: QUIC_V1 };
    const validated = (h: ClientHelloPeek | null, version: number): boolean => {
      const v = tokenVerdict(header, token, h, version);
      return v.kind === 'checked' && v.validated;
    };
    assert.equal(validated(hello, QUIC_V1), true);
    assert.equal(validated(hello, QUIC_V2), false, 'RFC 9369 §5: another version');
    assert.equal(validated(null, QUIC_V1), false, 'no ClientHello start: cannot tell');
  });

  it('a bad token claiming to be a Retry’s is INVALID_TOKEN; another bad one is ignored', () => {
    const bad = (claimedRetry: boolean): TokenCheck => ({
      kind: 'invalid',
      reason: 'x',
      claimedRetry,
    });
    assert.deepEqual(tokenVerdict(header, bad(true), hello, QUIC_V1), { kind: 'invalid_retry' });
    const v = tokenVerdict(header, bad(false), hello, QUIC_V1);
    assert.equal(v.kind === 'checked' && !v.validated, true);
  });

  it('decides accept, retry or refuse from the hook, the flood defence and the limit', () => {
    const plain = { alpn: ['x'] };
    assert.equal(acceptDecision(plain, remote, false, hello, 'accept', false), 'accept');
    assert.equal(
      acceptDecision({ ...plain, retry: true }, remote, false, hello, 'accept', false),
      'retry',
    );
    assert.equal(
      acceptDecision({ ...plain, retry: true }, remote, true, hello, 'accept', false),
      'accept',
    );
    assert.equal(
      acceptDecision(plain, remote, false, hello, 'retry', false),
      'retry',
      'under pressure',
    );
    assert.equal(acceptDecision(plain, remote, true, hello, 'accept', true), 'refuse', 'full');
    const seen: unknown[] = [];
    const hook = {
      alpn: ['x'],
      accept: (r: typeof remote, validated: boolean, h: ClientHelloPeek | null) => {
        seen.push([r, validated, h]);
        return 'refuse' as const;
      },
    };
    assert.equal(acceptDecision(hook, remote, true, hello, 'accept', false), 'refuse');
    assert.deepEqual(seen, [[remote, true, hello]]);
  });
});
