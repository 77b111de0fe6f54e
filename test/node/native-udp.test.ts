/**
 * The native backend's UDP socket (native/tsquic_udp.c through src/node/native-udp.ts) over
 * loopback: batches in the GSO shape arrive byte for byte as the datagrams they hold (with GSO
 * and GRO, and with both off: plain sendmmsg/recvmmsg), ECN codepoints go out and come back in,
 * and socket errors reach the handler with the codes node:dgram gives.
 */
import assert from 'node:assert/strict';
import { backend } from '../../src/crypto/default-provider.js';
import { NativeUdpSocket, nativeUdpAddon, type NativeUdpAddon } from '../../src/node/native-udp.js';
import { chooseSocket } from '../../src/node/socket-choice.js';
import {
  UdpSocket,
  type DatagramSocket,
  type SocketBinder,
  type UdpHandlers,
} from '../../src/node/udp.js';
import type { SocketAddress } from '../../src/util/address.js';
import { SeededRandom } from '../../src/util/random.js';

interface Received {
  data: Uint8Array;
  ecn: number | undefined;
  remote: SocketAddress;
}

/** Handlers that keep copies of what arrives (the socket reuses its buffer) and the errors. */
function recorder(): UdpHandlers & { got: Received[]; errors: string[] } {
  const got: Received[] = [];
  const errors: string[] = [];
  return {
    got,
    errors,
    message: (data, remote, _s, ecn) => got.push({ data: data.slice(), ecn, remote }),
    error: (err) => errors.push(err.code ?? err.message),
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  // Bounded by the number of turns, not by time: loopback delivers within a few turns.
  for (let i = 0; i < 20_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), `not reached: ${what}`);
}

describe('node/native-udp: the native UDP socket', function () {
  this.timeout(30_000);
  const open: DatagramSocket[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    delete process.env['TSQUIC_NO_GSO'];
    delete process.env['TSQUIC_NO_GRO'];
  });

  it('loads with the addon (required under CI=true)', function () {
    if (process.env['CI'] === 'true') {
      assert.ok(nativeUdpAddon(), 'the native UDP socket did not load in CI');
    }
    if (nativeUdpAddon() === null) this.skip();
    assert.equal(typeof nativeUdpAddon()!.udpOpen, 'function');
  });

  it('is chosen for the native provider, dgram for the pure one, as TSQUIC_SOCKET says', () => {
    assert.equal(chooseSocket('pure', '').kind, 'dgram');
    assert.equal(chooseSocket('native', 'dgram').kind, 'dgram');
    assert.throws(() => chooseSocket('native', 'fast'), /TSQUIC_SOCKET must be/);
    if (nativeUdpAddon() !== null) {
      assert.equal(chooseSocket('native', '').kind, 'native');
      assert.equal(chooseSocket('pure', 'native').kind, 'native');
    } else {
      assert.equal(chooseSocket('native', '').kind, 'dgram');
      assert.throws(() => chooseSocket('pure', 'native'), /did not load/);
    }
    if (backend.name === 'native' && process.env['TSQUIC_SOCKET'] === undefined) {
      assert.equal(chooseSocket(backend.provider.name).kind, nativeUdpAddon() ? 'native' : 'dgram');
    }
  });

  /** Batches of mixed sizes, each with a short last datagram, and single datagrams. */
  function batches(): { data: Uint8Array; segment: number; ecn: number; parts: Uint8Array[] }[] {
    const rnd = new SeededRandom(7);
    const shapes: [number, number, number, number][] = [
      // segment size, full datagrams, length of the short last one (0: none), ECN codepoint
      [1200, 20, 431, 2],
      [1452, 44, 0, 2],
      [600, 3, 1, 1],
      [1350, 1, 0, 0],
      [100, 64, 99, 3],
      [1200, 7, 1199, 0],
    ];
    return shapes.map(([segment, full, last, ecn]) => {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < full; i++) parts.push(rnd.bytes(segment));
      if (last > 0) parts.push(rnd.bytes(last));
      const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        data.set(p, o);
        o += p.length;
      }
      return { data, segment, ecn, parts };
    });
  }

  for (const offload of [true, false]) {
    it(`sends batches that arrive byte for byte, with their ECN (${offload ? 'GSO and GRO' : 'plain sendmmsg and recvmmsg'})`, async function () {
      if (nativeUdpAddon() === null) this.skip();
      if (!offload) {
        process.env['TSQUIC_NO_GSO'] = '1';
        process.env['TSQUIC_NO_GRO'] = '1';
      }
      const rx = recorder();
      const tx = recorder();
      const b = await NativeUdpSocket.bind('127.0.0.1', 0, {}, rx);
      const a = await NativeUdpSocket.bind('127.0.0.1', 0, {}, tx);
      open.push(a, b);
      if (!offload) {
        assert.equal(a.gso, false);
        assert.equal(b.gro, false);
      }
      const sent = batches();
      for (const s of sent) assert.ok(a.sendBatch(s.data, s.segment, b.local, s.ecn));
      a.flushSends();
      const expected = sent.flatMap((s) => s.parts.map((p) => ({ p, ecn: s.ecn })));
      await until(() => rx.got.length >= expected.length, 'all datagrams');
      assert.equal(rx.got.length, expected.length);
      for (let i = 0; i < expected.length; i++) {
        assert.deepEqual(rx.got[i]!.data, expected[i]!.p, `datagram ${i}`);
        assert.equal(rx.got[i]!.ecn, expected[i]!.ecn, `ECN of datagram ${i}`);
        assert.deepEqual(rx.got[i]!.remote, a.local);
      }
      assert.equal(a.datagramsSent, expected.length);
      assert.equal(b.datagramsReceived, expected.length);
      if (offload && a.gso && b.gro) {
        assert.ok(b.messagesReceived < expected.length / 4, `${b.messagesReceived} messages`);
      } else {
        assert.equal(b.messagesReceived, expected.length);
      }
      assert.deepEqual(tx.errors, []);
      assert.deepEqual(rx.errors, []);
    });
  }

  it('talks to an IPv4 peer from a dual-stack IPv6 socket, and over IPv6', async function () {
    if (nativeUdpAddon() === null) this.skip();
    const rx4 = recorder();
    const rx6 = recorder();
    const dual = await NativeUdpSocket.bind('::', 0, {}, recorder());
    const v4 = await NativeUdpSocket.bind('127.0.0.1', 0, {}, rx4);
    const v6 = await NativeUdpSocket.bind('::1', 0, {}, rx6);
    open.push(dual, v4, v6);
    dual.send(new Uint8Array([1, 2, 3]), v4.local, 2);
    dual.send(new Uint8Array([4, 5]), v6.local, 3);
    dual.flushSends();
    await until(() => rx4.got.length === 1 && rx6.got.length === 1, 'both');
    assert.deepEqual(rx4.got[0]!.data, new Uint8Array([1, 2, 3]));
    assert.equal(rx4.got[0]!.ecn, 2);
    assert.deepEqual(rx6.got[0]!.data, new Uint8Array([4, 5]));
    assert.equal(rx6.got[0]!.ecn, 3);
    assert.deepEqual(rx6.got[0]!.remote, { address: '::1', port: dual.local.port });
  });

  // The same error codes as the pure path's node:dgram socket.
  for (const kind of ['dgram', 'native'] as const) {
    const bind: SocketBinder = kind === 'native' ? NativeUdpSocket.bind : UdpSocket.bind;

    it(`${kind}: a datagram too large for UDP is reported as EMSGSIZE, the next one goes`, async function () {
      if (kind === 'native' && nativeUdpAddon() === null) this.skip();
      const rx = recorder();
      const tx = recorder();
      const b = await bind('127.0.0.1', 0, {}, rx);
      const a = await bind('127.0.0.1', 0, {}, tx);
      open.push(a, b);
      a.send(new Uint8Array(70_000), b.local);
      a.send(new Uint8Array([9]), b.local);
      a.flushSends?.();
      await until(() => tx.errors.length > 0 && rx.got.length > 0, 'the error and the next one');
      assert.deepEqual(tx.errors, ['EMSGSIZE']);
      assert.deepEqual(rx.got[0]!.data, new Uint8Array([9]));
    });

    it(`${kind}: ICMP port unreachable on a connected socket is reported as ECONNREFUSED`, async function () {
      if (kind === 'native' && nativeUdpAddon() === null) this.skip();
      const gone = await bind('127.0.0.1', 0, {}, recorder());
      const port = gone.local.port;
      gone.close();
      const tx = recorder();
      const a = await bind('127.0.0.1', 0, {}, tx);
      open.push(a);
      const peer = { address: '127.0.0.1', port };
      await a.connect(peer);
      // The send draws the ICMP error; the next receive (or send) reports it.
      a.send(new Uint8Array([1]), peer);
      a.flushSends?.();
      await until(() => tx.errors.length > 0, 'an error');
      assert.equal(tx.errors[0], 'ECONNREFUSED');
    });
  }

  it('a connected native socket still receives after an ICMP error', async function () {
    if (nativeUdpAddon() === null) this.skip();
    const rx = recorder();
    const a = await NativeUdpSocket.bind('127.0.0.1', 0, {}, rx);
    open.push(a);
    const gone = await NativeUdpSocket.bind('127.0.0.1', 0, {}, recorder());
    const port = gone.local.port;
    gone.close();
    await a.connect({ address: '127.0.0.1', port });
    a.send(new Uint8Array([1]), { address: '127.0.0.1', port });
    a.flushSends();
    await until(() => rx.errors.length > 0, 'ECONNREFUSED');
    // A new socket on the peer's port answers: the connected socket hears it.
    const peer = await NativeUdpSocket.bind('127.0.0.1', port, {}, recorder());
    open.push(peer);
    peer.send(new Uint8Array([42]), a.local);
    peer.flushSends();
    await until(() => rx.got.length > 0, 'the answer');
    assert.deepEqual(rx.got[0]!.data, new Uint8Array([42]));
  });

  it('binding a port in use fails with ERR_QUIC_SOCKET, address in use', async function () {
    if (nativeUdpAddon() === null) this.skip();
    const a = await NativeUdpSocket.bind('127.0.0.1', 0, {}, recorder());
    open.push(a);
    await assert.rejects(NativeUdpSocket.bind('127.0.0.1', a.local.port, {}, recorder()), {
      code: 'ERR_QUIC_SOCKET',
      message: /address in use/,
    });
  });
});

/**
 * The send queue of NativeUdpSocket over a scripted addon: what the kernel would do on a full
 * buffer (EAGAIN after some datagrams) and on an oversized datagram, deterministically.
 */
describe('node/native-udp: the send queue (scripted addon)', () => {
  const EAGAIN = 11;
  const EMSGSIZE = 90;

  /** An addon whose udpSend follows `script`: per call, how many datagrams go before an errno. */
  function scripted(script: { datagrams: number; errno: number }[]) {
    const wire: number[][] = [];
    let onWritable: () => void = () => {};
    let state: Int32Array = new Int32Array(2);
    let wantWritable = 0;
    const addon: NativeUdpAddon = {
      udpRecvMessages: 1,
      udpRecvSlot: 16,
      udpOpen: (_f, _h, _p, _r, _s, _v6, _buf, _meta, st, _onRecv, w) => {
        state = st;
        onWritable = w;
        return [{} as never, '127.0.0.1', 4433, true, true];
      },
      udpSend: (_h, bufs, meta, _hosts, count) => {
        // Datagrams this call may send before failing (Infinity: all).
        const step = script.shift() ?? { datagrams: Infinity, errno: 0 };
        let budget = step.datagrams;
        for (let m = 0; m < count; m++) {
          const data = bufs[m]!;
          const seg = meta[m * 3 + 1]!;
          for (let k = 0; k * seg < data.length; k++) {
            if (budget === 0) {
              state[0] = step.errno;
              state[1] = k;
              return m;
            }
            budget--;
            wire.push([...data.subarray(k * seg, Math.min((k + 1) * seg, data.length))]);
          }
        }
        return count;
      },
      udpWantWritable: () => wantWritable++,
      udpConnect: () => {},
      udpDisconnect: () => {},
      udpRef: () => {},
      udpClose: () => {},
      udpReusePortGroup: () => [[], '127.0.0.1', 4433],
      udpSteer: () => {},
      udpGroupClose: () => {},
      udpErrorName: (e) => (e === EMSGSIZE ? 'EMSGSIZE' : `E${e}`),
    };
    return { addon, wire, writable: () => onWritable(), wants: () => wantWritable };
  }

  /** Four datagrams of 2 bytes in one batch: [k, k] for k = first .. first+3. */
  function batch(first: number): Uint8Array {
    return new Uint8Array([0, 1, 2, 3].flatMap((k) => [first + k, first + k]));
  }

  it('EAGAIN: the rest waits for writable, then leaves in order, nothing twice', async () => {
    const s = scripted([{ datagrams: 5, errno: EAGAIN }]);
    const rec = recorder();
    const sock = await NativeUdpSocket.bind('127.0.0.1', 0, {}, rec, s.addon);
    const peer = { address: '127.0.0.1', port: 9 };
    sock.sendBatch(batch(0), 2, peer);
    sock.sendBatch(batch(4), 2, peer);
    sock.sendBatch(batch(8), 2, peer);
    sock.flushSends();
    assert.equal(s.wire.length, 5);
    assert.equal(s.wants(), 1);
    // More sends queue behind; a flush while waiting sends nothing.
    sock.send(new Uint8Array([12, 12]), peer);
    sock.flushSends();
    assert.equal(s.wire.length, 5);
    s.writable();
    assert.deepEqual(
      s.wire.map((d) => d[0]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    );
    assert.equal(sock.datagramsSent, 13);
    assert.deepEqual(rec.errors, []);
  });

  it('a full queue drops (maxQueuedSends datagrams), as the dgram socket does', async () => {
    const s = scripted([{ datagrams: 0, errno: EAGAIN }]);
    const sock = await NativeUdpSocket.bind(
      '127.0.0.1',
      0,
      { maxQueuedSends: 6 },
      recorder(),
      s.addon,
    );
    const peer = { address: '127.0.0.1', port: 9 };
    assert.equal(sock.sendBatch(batch(0), 2, peer), true);
    assert.equal(sock.sendBatch(batch(4), 2, peer), false);
    assert.equal(sock.dropped, 4);
    sock.flushSends();
    s.writable();
    assert.equal(s.wire.length, 4);
  });

  it('EMSGSIZE: that datagram is reported and lost, the others go', async () => {
    const s = scripted([{ datagrams: 2, errno: EMSGSIZE }]);
    const rec = recorder();
    const sock = await NativeUdpSocket.bind('127.0.0.1', 0, {}, rec, s.addon);
    const peer = { address: '127.0.0.1', port: 9 };
    sock.sendBatch(batch(0), 2, peer);
    sock.sendBatch(batch(4), 2, peer);
    sock.flushSends();
    assert.deepEqual(rec.errors, ['EMSGSIZE']);
    assert.deepEqual(
      s.wire.map((d) => d[0]),
      [0, 1, 3, 4, 5, 6, 7],
    );
    assert.equal(sock.dropped, 1);
    assert.equal(sock.datagramsSent, 7);
  });
});
