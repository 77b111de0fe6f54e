/**
 * The steering program of a multi-worker server (src/node/steering-bpf.ts): run by a classic BPF
 * interpreter here (the opcodes it uses, with the kernel's semantics: an out-of-bounds load ends
 * the program with 0), and by the kernel on a real SO_REUSEPORT group of native sockets
 * (reuseport-group.ts), where each datagram must reach the socket its QUIC-LB CID names.
 */
import assert from 'node:assert/strict';
import { QuicLbCidGenerator } from '../../src/lb/generator.js';
import { NativeUdpSocket } from '../../src/node/native-udp.js';
import { ReusePortGroup } from '../../src/node/reuseport-group.js';
import { KERNEL_HASH, steeringProgram, type SteeringPlan } from '../../src/node/steering-bpf.js';
import { UdpSocket } from '../../src/node/udp.js';

/** A classic BPF interpreter for the instructions the steering program uses. */
function runBpf(program: Uint8Array, packet: Uint8Array): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const little = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
  const mem = new Uint32Array(16);
  let a = 0;
  let x = 0;
  for (let pc = 0, steps = 0; steps < 10_000; steps++) {
    assert.ok(pc * 8 < program.length, 'ran off the end of the program');
    const code = view.getUint16(pc * 8, little);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, little);
    pc++;
    switch (code) {
      case 0x30: // ld b [k]
        if (k >= packet.length) return 0;
        a = packet[k]!;
        break;
      case 0x20: // ld w [k]
        if (k + 4 > packet.length) return 0;
        a = new DataView(packet.buffer, packet.byteOffset).getUint32(k);
        break;
      case 0x00: // ld #k
        a = k;
        break;
      case 0x80: // ld len
        a = packet.length;
        break;
      case 0x60: // ld M[k]
        a = mem[k]!;
        break;
      case 0x02: // st M[k]
        mem[k] = a;
        break;
      case 0x07: // tax
        x = a;
        break;
      case 0x87: // txa
        a = x;
        break;
      case 0x04: // add #k
        a = (a + k) >>> 0;
        break;
      case 0x74: // rsh #k
        a = a >>> k;
        break;
      case 0x94: // mod #k
        a = a % k;
        break;
      case 0x05: // ja
        pc += k;
        break;
      case 0x15: // jeq #k
        pc += a === k ? jt : jf;
        break;
      case 0x35: // jge #k
        pc += a >= k ? jt : jf;
        break;
      case 0x3d: // jge x
        pc += a >= x ? jt : jf;
        break;
      case 0x45: // jset #k
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case 0x06: // ret #k
        return k;
      default:
        assert.fail(`unexpected opcode 0x${code.toString(16)}`);
    }
  }
  assert.fail('the program did not end');
}

const lb = (configId: number, serverId: number): QuicLbCidGenerator =>
  new QuicLbCidGenerator({
    configId,
    serverIdLength: 1,
    nonceLength: 7,
    serverId: Uint8Array.of(serverId),
  });

function shortHeader(dcid: Uint8Array): Uint8Array {
  const p = new Uint8Array(1 + dcid.length + 30);
  p[0] = 0x41;
  p.set(dcid, 1);
  return p;
}

function longHeader(dcid: Uint8Array, length = 1200): Uint8Array {
  const p = new Uint8Array(Math.max(length, 7 + dcid.length));
  p[0] = 0xc0;
  p.set([0, 0, 0, 1], 1);
  p[5] = dcid.length;
  p.set(dcid, 6);
  p[6 + dcid.length] = 8;
  return p;
}

describe('node/steering-bpf: the kernel steering program', () => {
  // Generation 0 (codepoint 0): workers on sockets 3, 1; generation 1 (codepoint 1): 0, 2.
  const plan: SteeringPlan = {
    generations: [
      { configId: 0, sockets: [3, 1] },
      { configId: 1, sockets: [0, 2] },
    ],
    current: [0, 2],
    plaintext: true,
  };
  const program = steeringProgram(plan);

  it('sends short and long headers with a QUIC-LB CID to the socket of its worker', () => {
    for (const [configId, sockets] of [
      [0, [3, 1]],
      [1, [0, 2]],
    ] as const) {
      for (let w = 0; w < 2; w++) {
        const cid = lb(configId, w).next();
        assert.equal(runBpf(program, shortHeader(cid)), sockets[w]);
        assert.equal(runBpf(program, longHeader(cid)), sockets[w]);
      }
    }
  });

  it('hashes a client-chosen Initial DCID over the current generation, the same for each datagram', () => {
    const seen = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const dcid = crypto.getRandomValues(new Uint8Array(8));
      dcid[0] = 0xe0 | (dcid[0]! & 0x1f); // codepoint 7: no configuration
      const to = runBpf(program, longHeader(dcid));
      assert.ok(plan.current.includes(to), `Initial went to socket ${to}`);
      assert.equal(runBpf(program, longHeader(dcid, 300)), to, 'the second datagram');
      seen.set(to, (seen.get(to) ?? 0) + 1);
    }
    // Both workers of the current generation take new clients (400 draws: each far above 100).
    assert.ok((seen.get(0) ?? 0) > 100 && (seen.get(2) ?? 0) > 100, JSON.stringify([...seen]));
  });

  it('leaves unknown short headers, unknown server IDs and runts to the kernel hash', () => {
    const unknown = lb(2, 0).next();
    assert.equal(runBpf(program, shortHeader(unknown)), KERNEL_HASH);
    assert.equal(runBpf(program, shortHeader(lb(0, 7).next())), KERNEL_HASH);
    assert.equal(runBpf(program, Uint8Array.of(0x41, 0x00)), KERNEL_HASH);
    assert.equal(runBpf(program, Uint8Array.of(0xc0, 0, 0, 0, 1)), KERNEL_HASH);
    // A DCID length past the datagram's end.
    assert.equal(runBpf(program, Uint8Array.of(0xc0, 0, 0, 0, 1, 20, 1, 2)), KERNEL_HASH);
    // A long header with a short DCID: no hash of it.
    assert.equal(runBpf(program, longHeader(Uint8Array.of(0xe1, 2))), KERNEL_HASH);
  });

  it('with an encrypted configuration reads no server ID, and still hashes Initials', () => {
    const p = steeringProgram({ ...plan, plaintext: false });
    assert.equal(runBpf(p, shortHeader(lb(0, 0).next())), KERNEL_HASH);
    assert.ok(plan.current.includes(runBpf(p, longHeader(lb(0, 0).next()))));
  });

  it("keeps within the kernel's 4096 instructions with 255 workers in 3 generations", () => {
    const big = steeringProgram({
      generations: Array.from({ length: 3 }, (_, c) => ({
        configId: c,
        sockets: Array.from({ length: 255 }, (_, i) => c * 255 + i),
      })),
      current: Array.from({ length: 255 }, (_, i) => 2 * 255 + i),
      plaintext: true,
    });
    assert.equal(runBpf(big, shortHeader(lb(1, 200).next())), 255 + 200);
    assert.equal(runBpf(big, longHeader(lb(2, 254).next())), 2 * 255 + 254);
    assert.ok(big.length / 8 <= 4096, 'BPF_MAXINSNS');
  });

  it('steers datagrams to the group socket the CID names, in the kernel', async function () {
    if (ReusePortGroup.addon() === null) {
      if (process.env['CI'] === 'true') assert.fail('the native addon must load in CI');
      this.skip();
    }
    const { group, fds } = ReusePortGroup.open('127.0.0.1', 0, 3, {});
    const got: number[][] = [[], [], []];
    const sockets: NativeUdpSocket[] = [];
    const client = await UdpSocket.bind('127.0.0.1', 0, {}, { message: () => {}, error: () => {} });
    try {
      sockets.push(
        ...fds.map((fd, i) =>
          NativeUdpSocket.adopt(
            fd,
            '127.0.0.1',
            {},
            {
              message: (data) => got[i]!.push(data[0]! & 0x80 ? data[7]! : data[2]!),
              error: () => {},
            },
          ),
        ),
      );
      // Workers 0, 1, 2 hold sockets 2, 0, 1 (the order is the program's business).
      group.steer({
        generations: [{ configId: 0, fds: [fds[2]!, fds[0]!, fds[1]!] }],
        current: [fds[2]!, fds[0]!, fds[1]!],
        plaintext: true,
      });
      const sent = [0, 0, 0];
      for (let i = 0; i < 60; i++) {
        const w = i % 3;
        client.send(
          i % 2 ? shortHeader(lb(0, w).next()) : longHeader(lb(0, w).next()),
          group.local,
        );
        sent[w]!++;
      }
      const total = (): number => got.reduce((n, g) => n + g.length, 0);
      for (let i = 0; i < 20_000 && total() < 60; i++) await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        got.map((g) => g.length),
        [20, 20, 20],
      );
      // Socket 2 got worker 0's datagrams, socket 0 worker 1's, socket 1 worker 2's.
      assert.deepEqual(
        got.map((g) => [...new Set(g)]),
        [[1], [2], [0]],
      );
      // A socket leaves: the last takes its number, and the program follows.
      sockets[0]!.close();
      group.remove(fds[0]!);
      assert.equal(group.indexOf(fds[2]!), 0);
      assert.equal(group.indexOf(fds[1]!), 1);
    } finally {
      client.close();
      for (const s of sockets) s.close();
      group.close();
    }
  });
});
