/**
 * The QPACK dynamic tables on real tsquic connections: both encoders insert once the peer's
 * SETTINGS allow it, both decoders acknowledge, and field sections that arrive before the
 * inserts they need wait (RFC 9204 §2.1.2) and decode correctly under loss and reordering.
 */
import assert from 'node:assert/strict';
import type { QpackStats } from '../../src/h3/session/session.js';
import { drive, h3Pair, until, type H3Pair } from './connection-helpers.js';

const USER_AGENT = 'tsquic-test/1.0 (dynamic table check)';

/**
 * A value per round: new entries to insert each round, large enough that a request's field
 * section and the insert it refers to travel in different packets (so one can be lost alone).
 */
function token(tag: string): string {
  return `token-${tag}`.padEnd(900, tag);
}

/** Requests `count` paths with headers worth indexing; checks the echoed fields. */
async function exchange(h: H3Pair, count: number, tag: string): Promise<void> {
  const results = await until(
    h,
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const res = await h.client.request({
          path: `/${tag}/${i}`,
          headers: {
            'user-agent': USER_AGENT,
            accept: 'application/json',
            'x-session-token': token(tag),
          },
        });
        return { i, res, body: await res.body.text() };
      }),
    ),
  );
  for (const { i, res, body } of results) {
    assert.equal(res.status, 200);
    assert.equal(res.headers['server'], 'tsquic-test-server');
    assert.equal(res.headers['x-echo-token'], token(tag));
    assert.equal(body, `${USER_AGENT} /${tag}/${i}`);
  }
}

function assertTablesUsed(name: string, s: QpackStats): void {
  assert.ok(s.encoderInsertCount > 0, `${name}: encoder inserted`);
  assert.equal(
    s.encoderAcknowledgedCount,
    s.encoderInsertCount,
    `${name}: every insert acknowledged`,
  );
  assert.ok(s.decoderInsertCount > 0, `${name}: peer inserts received`);
  assert.equal(s.decoderAcknowledgedCount, s.decoderInsertCount, `${name}: all acknowledged`);
  assert.equal(s.blockedStreams, 0);
}

function pairWithEchoServer(options: Parameters<typeof h3Pair>[1] = {}): H3Pair {
  return h3Pair((req, res) => {
    res.writeHead(200, {
      server: 'tsquic-test-server',
      'content-type': 'text/plain',
      'x-echo-token': req.headers['x-session-token'] ?? '',
    });
    res.end(`${req.headers['user-agent']} ${req.path}`);
  }, options);
}

describe('h3 over QUIC: QPACK dynamic table', () => {
  it('inserts and acknowledges on both sides', async () => {
    const h = pairWithEchoServer();
    // The first request leaves before the server's SETTINGS: static table and literals only.
    await exchange(h, 1, 'first');
    assert.equal(h.client.qpackStats.encoderInsertCount, 0);
    await exchange(h, 10, 'second');
    await exchange(h, 10, 'third');
    await drive(h, () => false, 500_000);
    const c = h.client.qpackStats;
    const s = h.server!.qpackStats;
    assertTablesUsed('client', c);
    assertTablesUsed('server', s);
    // Each side decodes exactly what the other inserted.
    assert.equal(c.decoderInsertCount, s.encoderInsertCount);
    assert.equal(s.decoderInsertCount, c.encoderInsertCount);
    assert.ok(c.encoderCapacity > 0 && c.encoderCapacity <= 4096);
  });

  it('decodes sections that wait for inserts under loss and reordering', async () => {
    const h = pairWithEchoServer({
      seed: 2,
      conditions: { delay: 15_000, jitter: 10_000, loss: 0.05, reorder: 0.2 },
    });
    await exchange(h, 1, 'warm');
    let maxBlocked = 0;
    const watch = (): boolean => {
      maxBlocked = Math.max(
        maxBlocked,
        h.client.qpackStats.blockedStreams,
        h.server?.qpackStats.blockedStreams ?? 0,
      );
      return false;
    };
    const rounds = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const tag of rounds) {
      const done = exchange(h, 6, tag);
      let settled = false;
      done.then(
        () => (settled = true),
        () => (settled = true),
      );
      assert.ok(await drive(h, () => watch() || settled));
      await done;
    }
    await drive(h, () => false, 2_000_000);
    assertTablesUsed('client', h.client.qpackStats);
    assertTablesUsed('server', h.server!.qpackStats);
    assert.ok(maxBlocked > 0, 'some field section waited for its inserts');
  });
});
