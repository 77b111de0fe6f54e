/**
 * The classic BPF program that steers a multi-worker server's datagrams in the kernel
 * (SO_ATTACH_REUSEPORT_CBPF, native/tsquic_udp.c udpSteer): every worker has its own socket in
 * one SO_REUSEPORT group, and the program, run on each datagram's UDP payload, returns the
 * number of the group's socket whose worker holds the connection, read from the QUIC-LB
 * connection ID (draft-ietf-quic-load-balancers-21 §5.2, plaintext: the server ID follows the
 * first octet):
 *
 * - short header (RFC 9000 §17.3): the DCID starts at offset 1; config rotation bits in its
 *   first octet (§3.1), the one-octet server ID (the worker index) after it;
 * - long header (RFC 8999 §5.1): the DCID length at offset 5, the DCID at 6;
 * - a long header whose DCID names no worker (a client's first Initials and 0-RTT, §4.3: the
 *   client chose it) goes to a worker of the current generation by a hash of its DCID, so all
 *   of one client's Initials (a ClientHello over several datagrams, retransmissions) meet at one
 *   worker, and no new connection lands on a generation that drains;
 * - anything else (a short header with an unknown CID, a runt) returns a number past the group:
 *   the kernel then picks a socket by its 4-tuple hash (net/core/sock_reuseport.c), and the
 *   worker there forwards or answers it (a stateless reset works from any worker).
 *
 * With an encrypted configuration (a key) the server ID cannot be read here: only the Initial
 * hashing applies and the workers forward what lands elsewhere.
 */

/** A generation's workers: the config rotation codepoint and each worker's group socket number. */
export interface SteeringGeneration {
  readonly configId: number;
  /** `sockets[i]`: the number in the reuseport group of worker i's socket (server ID i). */
  readonly sockets: readonly number[];
}

export interface SteeringPlan {
  /** Live generations; their CIDs are routed. */
  readonly generations: readonly SteeringGeneration[];
  /** The socket numbers of the generation taking new connections (Initials hash over them). */
  readonly current: readonly number[];
  /** Whether server IDs are in the clear (no key): only then is a CID's server ID read here. */
  readonly plaintext: boolean;
}

// Classic BPF opcodes (linux/filter.h, linux/bpf_common.h).
const LD_B_ABS = 0x30;
const LD_W_ABS = 0x20;
const LD_W_LEN = 0x80;
const LD_MEM = 0x60;
const LD_IMM = 0x00;
const ST = 0x02;
const TAX = 0x07;
const TXA = 0x87;
const ALU_ADD_K = 0x04;
const ALU_RSH_K = 0x74;
const ALU_MOD_K = 0x94;
const JA = 0x05;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JGE_X = 0x3d;
const JSET_K = 0x45;
const RET_K = 0x06;

/** A result past any group: the kernel's hash picks the socket. */
export const KERNEL_HASH = 0xffffffff;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
  /** JA to this label (resolved by `assemble`): only JA jumps to labels, its offset is 32 bits. */
  to?: string;
  label?: string;
}

/** The program for `plan`, as the kernel's struct sock_filter array (8 bytes per instruction). */
export function steeringProgram(plan: SteeringPlan): Uint8Array {
  const p: Insn[] = [];
  const op = (code: number, k = 0, jt = 0, jf = 0): void => {
    p.push({ code, jt, jf, k });
  };
  const goto = (to: string): void => {
    p.push({ code: JA, jt: 0, jf: 0, k: 0, to });
  };
  /** Conditional jumps reach 255 instructions: a far one skips or takes the JA after it. */
  const unless = (code: number, k: number, to: string): void => {
    op(code, k, 1, 0);
    goto(to);
  };
  const label = (name: string): void => {
    p.push({ code: -1, jt: 0, jf: 0, k: 0, label: name });
  };
  // Classic BPF jumps only forward: long header, short header, the route table, the hash. The
  // kernel's checker wants every scratch slot stored before any path loads it.
  op(LD_IMM, 0);
  op(ST, 1);
  op(ST, 2);
  op(LD_B_ABS, 0);
  unless(JSET_K, 0x80, 'short');
  // Long header: flags(1) version(4) dcid_len(1) dcid.
  op(LD_W_LEN);
  unless(JGE_K, 6, 'kernel');
  op(LD_B_ABS, 5);
  op(ST, 1); // M[1] = DCID length
  op(ALU_ADD_K, 6);
  op(TAX);
  op(LD_W_LEN);
  unless(JGE_X, 0, 'kernel'); // the DCID must end within the datagram
  if (plan.plaintext) {
    op(LD_MEM, 1);
    unless(JGE_K, 2, 'hash');
    op(LD_IMM, 0);
    op(ST, 2); // M[2] = 0: a miss hashes
    op(LD_B_ABS, 7);
    op(TAX);
    op(LD_B_ABS, 6);
    goto('route');
  }
  goto('hash');
  label('short');
  if (plan.plaintext) {
    // Short header: flags(1) dcid: first octet, server ID, ...
    op(LD_W_LEN);
    unless(JGE_K, 3, 'kernel');
    op(LD_IMM, 1);
    op(ST, 2); // M[2] = 1: a miss goes to the kernel
    op(LD_B_ABS, 2);
    op(TAX);
    op(LD_B_ABS, 1);
    // With A = the CID's first octet and X = its server ID: the worker's socket.
    label('route');
    op(ALU_RSH_K, 5);
    for (const g of plan.generations) {
      unless(JEQ_K, g.configId, `not${g.configId}`);
      op(TXA);
      // X == i: return socket i (jt 0: the next instruction), else skip it (jf 1).
      g.sockets.forEach((socket, i) => {
        op(JEQ_K, i, 0, 1);
        op(RET_K, socket);
      });
      goto('miss');
      label(`not${g.configId}`);
    }
    label('miss');
    op(LD_MEM, 2);
    unless(JEQ_K, 0, 'kernel');
  } else {
    goto('kernel');
  }
  label('hash');
  if (plan.current.length > 0) {
    // §4.3: a client-chosen DCID, at least 8 octets in an Initial (RFC 9000 §7.2); hash its
    // first four over the current generation.
    op(LD_MEM, 1);
    unless(JGE_K, 4, 'kernel');
    op(LD_W_ABS, 6);
    op(ALU_MOD_K, plan.current.length);
    plan.current.forEach((socket, j) => {
      op(JEQ_K, j, 0, 1);
      op(RET_K, socket);
    });
  }
  label('kernel');
  op(RET_K, KERNEL_HASH);
  return assemble(p);
}

/** Resolves labels into relative jumps and encodes struct sock_filter (host byte order). */
function assemble(p: Insn[]): Uint8Array {
  const at = new Map<string, number>();
  const code: Insn[] = [];
  for (const i of p) {
    if (i.label !== undefined) at.set(i.label, code.length);
    else code.push(i);
  }
  const out = new Uint8Array(code.length * 8);
  const view = new DataView(out.buffer);
  const little = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
  code.forEach((insn, pc) => {
    const rel = (name: string): number => {
      const target = at.get(name);
      if (target === undefined) throw new Error(`BPF label ${name} undefined`);
      if (target <= pc) throw new Error(`BPF jump back to ${name}`);
      return target - pc - 1;
    };
    view.setUint16(pc * 8, insn.code, little);
    view.setUint8(pc * 8 + 2, insn.jt);
    view.setUint8(pc * 8 + 3, insn.jf);
    view.setUint32(pc * 8 + 4, (insn.to !== undefined ? rel(insn.to) : insn.k) >>> 0, little);
  });
  return out;
}
