/**
 * ECN over the in-memory network (RFC 9000 §13.4, RFC 9002 §7.1): both hosts say their sockets
 * can mark (`ecn: true`); links pass the codepoints, mark CE, bleach or remark them. Validation
 * succeeds on a clean path and CE marks reduce the window; bleaching, remarking and counts too
 * low disable ECN (§13.4.2); every transfer is byte-exact.
 */
import { strict as assert } from 'node:assert';
import type { Connection } from '../../src/conn/connection.js';
import { QlogWriter } from '../../src/conn/qlog-writer.js';
import { validateQlog } from '../qlog/validate.js';
import type { Engine } from '../../src/engine/engine.js';
import { createEnginePair, type LinkConditions } from '../../src/testing/index.js';
import type { SansIoEndpoint } from '../../src/testing/network.js';
import type { SocketAddress } from '../../src/util/address.js';
import { transfer } from './transfer-kit.js';

/** The client's engine sees the codepoint of every second datagram cleared. */
function halfBleaching(ep: Engine): SansIoEndpoint {
  let n = 0;
  return {
    handleDatagram(
      data: Uint8Array,
      local: SocketAddress,
      remote: SocketAddress,
      now: number,
      ecn?: number,
    ) {
      ep.handleDatagram(data, local, remote, now, n++ % 2 === 1 ? 0 : ecn);
    },
    pollTransmit: (now) => ep.pollTransmit(now),
    nextTimeout: () => ep.nextTimeout(),
    handleTimeout: (now) => ep.handleTimeout(now),
  };
}

function run(
  conditions: LinkConditions,
  opts: { ecn?: boolean; cc?: string; down?: number; clientTap?: boolean } = {},
) {
  const ecn = opts.ecn ?? true;
  const cc = opts.cc ?? 'cubic';
  const p = createEnginePair({
    seed: 3,
    conditions,
    serverEngine: { connection: { ecn, congestionControl: cc } },
    client: { ecn, congestionControl: cc },
    ...(opts.clientTap
      ? {
          endpoint: (e: Engine, role: 'client' | 'server') =>
            role === 'client' ? halfBleaching(e) : e,
        }
      : {}),
  });
  const r = transfer(p, 50_000, opts.down ?? 2_000_000);
  assert.ok(r.done, 'transfer completes');
  assert.equal(r.up.mismatch, -1);
  assert.equal(r.down.mismatch, -1);
  const server = p.serverConn()!;
  return { p, server, client: p.conn };
}

function ecnEvents(c: Connection): number {
  return c.path.sendControl.stats.ecnCongestionEvents;
}

describe('scenario: ECN (RFC 9000 §13.4)', () => {
  it('a clean path: validation succeeds, every packet is marked ECT(0), the counts match', () => {
    const { server, client, p } = run({ delay: 10_000 });
    const s = server.getStats().ecn;
    const c = client.getStats().ecn;
    assert.equal(s.state, 'capable');
    assert.equal(c.state, 'capable');
    assert.equal(s.failure, null);
    // The client counted ECT(0) on what the server sent, and told it so.
    assert.ok(c.receivedEct0 > 1000, `client received ${c.receivedEct0} ECT(0) packets`);
    assert.equal(c.receivedCe, 0);
    assert.equal(c.receivedEct1, 0);
    assert.ok(s.peerEct0 > 1000 && s.peerEct0 <= s.markedSent);
    assert.equal(s.markedSent, server.getStats().packetsSent);
    assert.equal(p.net.stats.ceMarked, 0);
    assert.equal(ecnEvents(server), 0);
  });

  for (const cc of ['newreno', 'cubic', 'bbr']) {
    it(`CE marks at a bottleneck queue keep the queue below the drop point (${cc})`, () => {
      // 20 Mbit/s with a queue of 64 KiB: an AQM marks above 15 KB queued.
      const cond: LinkConditions = { delay: 10_000, rate: 20e6, ecn: { ceQueueBytes: 15_000 } };
      const marked = run(cond, { cc, down: 3_000_000 });
      const s = marked.server.getStats();
      assert.equal(s.ecn.state, 'capable');
      assert.ok(marked.p.net.stats.ceMarked > 0, 'the link marked CE');
      assert.ok(marked.client.getStats().ecn.receivedCe > 0);
      assert.ok(s.ecn.peerCe > 0, 'the server learnt of the marks');
      assert.ok(ecnEvents(marked.server) > 0, 'CE reached the controller');
      // The same path without marks (ECN off) fills the queue until it drops.
      const plain = run(
        { ...cond, ecn: { ceQueueBytes: 15_000 } },
        { cc, down: 3_000_000, ecn: false },
      );
      assert.equal(ecnEvents(plain.server), 0);
      assert.ok(
        marked.p.net.stats.queueDrops < plain.p.net.stats.queueDrops ||
          plain.p.net.stats.queueDrops === 0,
        `queue drops with ECN ${marked.p.net.stats.queueDrops}, without ${plain.p.net.stats.queueDrops}`,
      );
      if (cc !== 'bbr') {
        // Window controllers respond as to loss: one reduction per round, so the window stays small.
        assert.ok(s.cwnd < 200_000, `cwnd ${s.cwnd}`);
      }
    });
  }

  it('a path that bleaches the marks: validation fails (no counts), nothing more is marked', () => {
    const { server, client } = run({ delay: 10_000, ecn: { bleach: true } });
    for (const c of [server, client]) {
      const e = c.getStats().ecn;
      assert.equal(e.state, 'failed');
      assert.equal(e.failure, 'no_counts');
      assert.ok(e.markedSent <= 12, `marked only while testing: ${e.markedSent}`);
      assert.equal(e.receivedEct0 + e.receivedEct1 + e.receivedCe, 0);
    }
  });

  it('a path that remarks ECT(0) as ECT(1): validation fails', () => {
    const { server, client } = run({ delay: 10_000, ecn: { remark: true } });
    for (const c of [server, client]) {
      const e = c.getStats().ecn;
      assert.equal(e.state, 'failed');
      assert.equal(e.failure, 'remarked');
      assert.ok(e.peerEct1 > 0, 'the peer reported ECT(1)');
    }
  });

  it('counts too low (half the marks lost on the way to the client): the server disables ECN', () => {
    const { server, client } = run({ delay: 10_000 }, { clientTap: true });
    const e = server.getStats().ecn;
    assert.equal(e.state, 'failed');
    assert.equal(e.failure, 'counts_too_low');
    assert.ok(e.markedSent < 50, `marked ${e.markedSent}`);
    // The other direction is clean.
    assert.equal(client.getStats().ecn.state, 'capable');
  });

  it('a host whose socket cannot mark (the default) sends Not-ECT and reports what it reads', () => {
    const { server, client } = run({ delay: 10_000 }, { ecn: false });
    assert.equal(server.getStats().ecn.state, 'off');
    assert.equal(server.getStats().ecn.markedSent, 0);
    assert.equal(client.getStats().ecn.receivedEct0, 0);
  });

  for (const format of ['ietf', 'qvis'] as const) {
    it(`qlog (${format}): ecn_state_updated from testing to capable, a valid trace`, () => {
      let text = '';
      const p = createEnginePair({
        seed: 3,
        serverEngine: {
          connection: { ecn: true },
          qlog: (traceId, role) =>
            new QlogWriter({ role, traceId, format, write: (chunk) => (text += chunk) }),
        },
        client: { ecn: true },
      });
      const r = transfer(p, 10_000, 200_000);
      assert.ok(r.done);
      p.serverConn()!.close(0, 'done');
      p.runFor(1_000_000);
      const name = format === 'ietf' ? 'quic:ecn_state_updated' : 'recovery:ecn_state_updated';
      const states = text
        .split('\x1e')
        .slice(1)
        .map((rec) => JSON.parse(rec) as { name?: string; data?: { old?: string; new?: string } })
        .filter((e) => e.name === name)
        .map((e) => `${e.data?.old ?? ''}>${e.data?.new}`);
      // Validated before the ten test packets were out: straight from testing to capable.
      assert.deepEqual(states, ['>testing', 'testing>capable']);
      assert.deepEqual(validateQlog(text, format), []);
    });
  }
});
