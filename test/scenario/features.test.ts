import assert from 'node:assert/strict';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
  testCertificate,
} from '../../src/testing/index.js';
import { transfer } from './transfer-kit.js';
import { TicketKeys } from '../../src/tls/ticket-keys.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { Engine } from '../../src/engine/engine.js';
import type { Connection } from '../../src/conn/connection.js';
import type { Stream } from '../../src/stream/stream.js';

function handshake(p: ReturnType<typeof createEnginePair>, maxUs = 10_000_000): void {
  assert.ok(p.handshake(maxUs), 'handshake completes and is confirmed');
}

for (const cc of ['newreno', 'cubic']) {
  describe(`scenario: features (${cc})`, function () {
    this.timeout(60_000);
    const base = {
      client: { congestionControl: cc },
      serverEngine: { connection: { congestionControl: cc } },
    };

    it('Retry: the server validates the address first, then the transfer works', () => {
      const p = createEnginePair({ ...base, server: { retry: true } });
      const r = transfer(p, 200_000, 200_000);
      assert.ok(r.done);
      assert.equal(p.conn.getStats().retry, true);
    });

    it('key updates by both sides during a transfer', () => {
      const p = createEnginePair(base);
      handshake(p);
      const sc = p.serverConn()!;
      // Ask both sides for key updates every 50 ms of virtual time while data flows.
      let next = p.net.now;
      const origStep = p.net.step.bind(p.net);
      p.net.step = (limit?: number) => {
        if (p.net.now >= next && p.conn.state === 'established') {
          next = p.net.now + 50_000;
          p.conn.updateKeys();
          sc.updateKeys();
        }
        return origStep(limit);
      };
      const r = transfer(p, 3_000_000, 3_000_000);
      assert.ok(r.done);
      assert.ok(
        p.conn.getStats().keyUpdates >= 3,
        `client key updates: ${p.conn.getStats().keyUpdates}`,
      );
      assert.ok(sc.getStats().keyUpdates >= 3, `server key updates: ${sc.getStats().keyUpdates}`);
    });

    it('idle timeout closes both sides silently', () => {
      const p = createEnginePair({ ...base, client: { ...base.client, idleTimeout: 2000 } });
      handshake(p);
      let closed: string | null = null;
      p.conn.on('close', (i) => (closed = i.source));
      p.net.runFor(10_000_000);
      assert.equal(closed, 'idle_timeout');
      assert.equal(p.conn.state, 'closed');
    });

    it('application close reaches the peer with its code and reason', () => {
      const p = createEnginePair(base);
      handshake(p);
      const sc = p.serverConn()!;
      let info: { errorCode: number; reason: string; application: boolean } | null = null;
      sc.on('close', (i) => (info = i));
      p.conn.close(42, 'bye');
      p.net.runFor(5_000_000);
      assert.deepEqual(
        { code: info!.errorCode, reason: info!.reason, app: info!.application },
        { code: 42, reason: 'bye', app: true },
      );
    });

    it('flow-control windows of 1 KiB still complete', () => {
      const opts = {
        initialMaxData: 1024,
        initialMaxStreamData: 1024,
        maxConnectionWindow: 1024,
        maxStreamWindow: 1024,
      };
      const p = createEnginePair({
        client: { congestionControl: cc, ...opts },
        serverEngine: { connection: { ...opts } },
      });
      const r = transfer(p, 100_000, 100_000);
      assert.ok(r.done);
    });

    it('1,000 small streams against a server stream limit of 100', () => {
      const p = createEnginePair({
        ...base,
        serverEngine: { connection: { maxStreamsBidi: 100 } },
      });
      handshake(p);
      const sc = p.serverConn()!;
      let finished = 0;
      sc.on('readable', (s) => {
        for (let r = s.read(); r; r = s.read()) {
          if (r.fin) {
            s.write(new Uint8Array([1]), true);
          }
        }
      });
      let opened = 0;
      const openMore = (): void => {
        while (opened < 1000) {
          const s = p.conn.openStream(true);
          if (!s) return;
          opened++;
          s.write(new Uint8Array(100).fill(opened & 0xff), true);
        }
      };
      p.conn.on('streamsAvailable', openMore);
      p.conn.on('readable', (s) => {
        for (let r = s.read(); r; r = s.read()) if (r.fin) finished++;
      });
      openMore();
      assert.ok(
        p.net.runUntil(() => finished === 1000, 60_000_000),
        `finished ${finished}/1000`,
      );
    });

    it('stateless reset: a server that lost state resets the client', () => {
      const resetKey = defaultProvider.random(32);
      const p = createEnginePair({ ...base, serverEngine: { statelessResetKey: resetKey } });
      handshake(p);
      // The server restarts with the same reset key and no connections.
      const { cert } = testCertificate();
      const fresh = new Engine({
        statelessResetKey: resetKey,
        server: { alpn: ['test'], certificate: cert },
      });
      p.net.addEndpoint('server2', fresh, { address: '10.0.0.9', port: 4433 });
      // Route the client to the restarted server's address by NAT-rebinding the server.
      p.net.rebind('server2', PAIR_SERVER_ADDRESS, { address: '10.0.0.9', port: 4433 });
      let source: string | null = null;
      p.conn.on('close', (i) => (source = i.source));
      p.conn.ping();
      p.net.runFor(5_000_000);
      assert.equal(source, 'stateless_reset');
    });

    it('0-RTT: a resumed client sends early data that the server accepts', () => {
      const ticketKeys = new TicketKeys(defaultProvider);
      const first = createEnginePair({ ...base, server: { ticketKeys, earlyData: true } });
      let ticket: Uint8Array | null = null;
      first.conn.on('sessionTicket', (t) => (ticket = t));
      handshake(first);
      first.net.runUntil(() => ticket !== null, 2_000_000);
      assert.ok(ticket, 'a ticket arrived');

      // RFC 9000 §14.1: every client datagram with an Initial is at least 1200 bytes, also when
      // a 0-RTT packet shares it.
      const { net, server, conn } = createEnginePair({
        seed: 2,
        server: { ticketKeys, earlyData: true },
        client: { session: ticket!, earlyData: true },
      });
      const initialDatagrams: number[] = [];
      net.onSend = (d, from) => {
        if (from.port === PAIR_CLIENT_ADDRESS.port && (d[0]! & 0xf0) === 0xc0)
          initialDatagrams.push(d.length);
      };
      const s = conn.openStream(true);
      assert.ok(s, 'a stream can be opened before the handshake (remembered limits)');
      s.write(new Uint8Array([1, 2, 3]), true);
      let got: number[] = [];
      let serverConn: Connection | null = null;
      const drain = (st: Stream): void => {
        for (let r = st.read(); r; r = st.read()) got = [...got, ...r.data];
      };
      const ok = net.runUntil(() => {
        if (serverConn === null) {
          serverConn = server.accept();
          // The 0-RTT data may have arrived with the ClientHello, before this accept.
          serverConn?.on('readable', drain);
          const early = serverConn?.getStream(0);
          if (early) drain(early);
        }
        return got.length === 3 && conn.handshakeComplete;
      }, 5_000_000);
      assert.ok(ok);
      assert.deepEqual(got, [1, 2, 3]);
      const st = conn.getStats();
      assert.equal(st.resumed, true);
      assert.equal(st.earlyDataAccepted, true);
      assert.equal(serverConn!.getStats().earlyDataAccepted, true);
      assert.ok(initialDatagrams.length > 0);
      assert.ok(
        Math.min(...initialDatagrams) >= 1200,
        `Initial datagrams: ${initialDatagrams.join(', ')}`,
      );
    });

    it('a rebinding every 5 seconds during a transfer', () => {
      const p = createEnginePair({
        ...base,
        conditions: { delay: 10_000, rate: 8_000_000, queueBytes: 200_000 },
      });
      handshake(p);
      let port = 51000;
      const rebind = (): void => {
        p.net.rebind('client', { address: PAIR_CLIENT_ADDRESS.address, port: port++ });
      };
      const r = (() => {
        const start = p.net.now;
        const tick = (): boolean => {
          if (p.net.now - start > 5_000_000 * (port - 51000 + 1)) rebind();
          return false;
        };
        const origStep = p.net.step.bind(p.net);
        p.net.step = (limit?: number) => {
          tick();
          return origStep(limit);
        };
        return transfer(p, 12_000_000, 1_000);
      })();
      assert.ok(r.done, `incomplete: ${r.up.received}`);
      assert.ok(port - 51000 >= 2, 'rebound at least twice');
      assert.ok(p.serverConn()!.getStats().migrations >= 2);
    });
  });
}
