/**
 * Fuzzing of the engine's receive path (`npm run fuzz -- --seconds N [--seed S]`).
 *
 * Three kinds of input go to a server and a client engine with an established connection
 * between them (over the in-memory network, so both also react, send and run timers):
 *   - random datagrams (random bytes; some shaped like a long or short header with one of the
 *     victims' connection IDs, so they reach a connection);
 *   - mutations of real traffic: the datagrams of a handshake and a transfer recorded at start
 *     (bit flips, overwritten bytes, truncation, splicing, repetition);
 *   - validly encrypted hostile frames: random or mutated frame sequences sealed with the real
 *     1-RTT keys of the live connection (both directions), and Initials sealed with the Initial
 *     keys of fresh DCIDs, so they pass decryption and reach the frame handlers.
 *
 * A finding is an exception out of an engine or the network driving it, an exception caught
 * inside a connection (it closes with INTERNAL_ERROR or a TLS internal_error), or unbounded
 * memory (more connections than the limits allow, or heap growth past a bound). It is printed with
 * the seed, the iteration and the input, and the exit code is 1. The input sequence follows
 * from the seed (printed at start; `--seed` repeats a run); key exchanges are not seeded, so a
 * repeat sees other ciphertexts around the same inputs, which is why the input itself is printed.
 */
import { parseArgs } from 'node:util';
import { PnSpace } from '../../src/ack/pn-space.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { clientInitialPayload } from '../../src/testing/initial-flood.js';
import { forgeLongPacket, forgeShortPacket, initialProtector } from '../../src/testing/forge.js';
import { toHex } from '../../src/util/bytes.js';
import type { CloseInfo } from '../../src/conn/connection.js';
import { Alert } from '../../src/tls/alert.js';
import { TransportError, cryptoError } from '../../src/wire/errors.js';
import type { Frame } from '../../src/wire/frame-types.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
  type EnginePair,
} from '../../src/testing/pair.js';
import { transfer } from '../scenario/transfer-kit.js';
import { ALL_KINDS, randomFrame } from '../wire/random-frames.js';
import { Rng } from '../wire/random.js';

/** Most connections a server engine may hold here: its unvalidated limit and the live pair. */
const MAX_CONNECTIONS = 128 + 8;
/** Heap growth (after collection) over the start that counts as unbounded. */
const MAX_HEAP_GROWTH = 256 * 2 ** 20;
/** Inputs sent at one pair before a fresh one is made (also made when its connection ends). */
const INPUTS_PER_PAIR = 2000;

type Kind = 'random' | 'mutated' | 'sealed-1rtt' | 'sealed-initial';

interface Recorded {
  data: Uint8Array;
  toServer: boolean;
}

class Finding extends Error {}

/** A crypto provider whose random bytes come from the fuzzer's seed. */
function seededProvider(rng: Rng): CryptoProvider {
  const p = Object.create(defaultProvider) as CryptoProvider;
  p.random = (n: number) => rng.bytes(n);
  return p;
}

/** Close codes that mean an exception was caught inside a connection: a bug, not a verdict. */
const INTERNAL = new Set([TransportError.INTERNAL_ERROR, cryptoError(Alert.internal_error)]);

/**
 * A client and a server with an established connection. `onInternalError` hears of either end
 * closing with an internal error (the connection catches its own exceptions, RFC 9000 §20.1
 * INTERNAL_ERROR; TLS turns them into internal_error alerts).
 */
function newPair(
  seed: number,
  provider: CryptoProvider,
  onInternalError: (info: CloseInfo) => void,
): EnginePair {
  const p = createEnginePair({ seed, serverEngine: { crypto: provider } });
  let done = false;
  p.conn.on('handshakeDone', () => (done = true));
  if (!p.net.runUntil(() => done && p.conn.handshakeConfirmed, 10_000_000)) {
    throw new Finding('a fresh pair did not complete its handshake');
  }
  p.net.runFor(50_000);
  for (const c of [p.conn, p.serverConn()!]) {
    c.on('closing', (info: CloseInfo) => {
      if (info.source === 'local' && !info.application && INTERNAL.has(info.errorCode)) {
        onInternalError(info);
      }
    });
  }
  return p;
}

/** The datagrams of a real handshake and transfer, both directions. */
function record(seed: number, provider: CryptoProvider): Recorded[] {
  const out: Recorded[] = [];
  const p = createEnginePair({ seed, serverEngine: { crypto: provider } });
  const server = `${PAIR_SERVER_ADDRESS.address}:${PAIR_SERVER_ADDRESS.port}`;
  p.net.onSend = (data, _from, to) => {
    out.push({ data: data.slice(), toServer: `${to.address}:${to.port}` === server });
  };
  if (!transfer(p, 20_000, 60_000, 10_000_000).done) throw new Finding('recording failed');
  return out;
}

function mutate(rng: Rng, input: Uint8Array, recorded: Recorded[]): Uint8Array {
  let d = input.slice();
  const steps = 1 + rng.int(4);
  for (let s = 0; s < steps && d.length > 0; s++) {
    switch (rng.int(6)) {
      case 0: // flip bits
        for (let i = 1 + rng.int(4); i > 0; i--) d[rng.int(d.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // overwrite bytes with edge values
        for (let i = 1 + rng.int(4); i > 0; i--)
          d[rng.int(d.length)] = rng.pick([0, 0xff, 0x40, 0x80]);
        break;
      case 2: // truncate
        d = d.subarray(0, rng.int(d.length));
        break;
      case 3: {
        // splice in part of another datagram
        const other = recorded[rng.int(recorded.length)]!.data;
        const at = rng.int(d.length);
        const take = other.subarray(rng.int(other.length));
        const out = new Uint8Array(Math.min(1500, at + take.length));
        out.set(d.subarray(0, at));
        out.set(take.subarray(0, out.length - at), at);
        d = out;
        break;
      }
      case 4: {
        // repeat a slice (coalesced-looking)
        const cut = rng.int(d.length);
        const out = new Uint8Array(Math.min(1500, d.length + cut));
        out.set(d);
        out.set(d.subarray(0, out.length - d.length), d.length);
        d = out;
        break;
      }
      default: // random bytes over a range
        for (let i = rng.int(d.length), n = rng.int(16); n > 0 && i < d.length; i++, n--) {
          d[i] = rng.int(256);
        }
    }
  }
  return d;
}

/**
 * A frame of any kind; three times in four with small, plausible numbers, so it gets further
 * into the connection than a limit check (and the connection lives on for more input).
 */
function hostileFrame(rng: Rng): Frame {
  const f = randomFrame(rng, ALL_KINDS[rng.int(ALL_KINDS.length)]!);
  if (rng.int(4) !== 0) {
    const small = (v: number): number => (v > 64 ? rng.int(64) : v);
    const r = f as unknown as Record<string, unknown>;
    for (const k of [
      'streamId',
      'offset',
      'maximum',
      'limit',
      'finalSize',
      'sequenceNumber',
      'pathId',
      'nextSequenceNumber',
    ]) {
      if (typeof r[k] === 'number') r[k] = small(r[k]);
    }
    if (f.kind === 'new_connection_id' || f.kind === 'path_new_connection_id')
      f.retirePriorTo = Math.min(f.retirePriorTo, f.sequenceNumber);
  }
  return f;
}

function randomDatagram(rng: Rng, p: EnginePair): Uint8Array {
  const d = rng.bytes(1 + rng.int(rng.bool() ? 60 : 1500));
  if (rng.bool()) {
    // Give it one of our CIDs so it routes to a connection.
    const cid = rng.bool() ? p.conn.path.dcid.cid : p.conn.localParams.initialSourceConnectionId!;
    if (rng.bool() && d.length > 6 + cid.length) {
      d[0] = 0xc0 | (d[0]! & 0x3f);
      d.set([0, 0, 0, 1, cid.length], 1);
      d.set(cid, 6);
    } else if (d.length > 1 + cid.length) {
      d[0] = 0x40 | (d[0]! & 0x3f);
      d.set(cid, 1);
    }
  }
  return d;
}

function main(): void {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '10' }, seed: { type: 'string' } },
  });
  const seconds = Number(values.seconds);
  const seed =
    values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  if (!(seconds > 0) || !Number.isInteger(seed)) throw new RangeError('bad --seconds or --seed');
  console.log(`fuzz: seed ${seed}, ${seconds} s (repeat with --seed ${seed})`);

  const rng = new Rng(seed);
  const provider = seededProvider(new Rng(seed ^ 0x5bd1e995));
  const deadline = Date.now() + seconds * 1000;
  const counts: Record<Kind, number> = {
    random: 0,
    mutated: 0,
    'sealed-1rtt': 0,
    'sealed-initial': 0,
  };
  let iteration = 0;
  let pairs = 0;
  let kind: Kind = 'random';
  let input: Uint8Array = new Uint8Array(0);
  let toServer = true;
  try {
    const recorded = record(seed, provider);
    const hello = clientInitialPayload(PAIR_SERVER_ADDRESS, ['test'], provider);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapStart = process.memoryUsage().heapUsed;
    let nextHeapCheck = Date.now() + 2000;
    let internal: CloseInfo | null = null;
    const onInternalError = (info: CloseInfo): void => {
      internal ??= info;
    };
    let pair = newPair(rng.int(2 ** 31), provider, onInternalError);
    let sentToPair = 0;
    while (Date.now() < deadline) {
      iteration++;
      const roll = rng.int(4);
      kind = (['random', 'mutated', 'sealed-1rtt', 'sealed-initial'] as const)[roll]!;
      // Hostile frames often end the connection; only sealed 1-RTT input needs it alive.
      const dead = pair.conn.state !== 'established' || pair.serverConn()?.state !== 'established';
      if (sentToPair >= INPUTS_PER_PAIR || (kind === 'sealed-1rtt' && dead)) {
        pair = newPair(rng.int(2 ** 31), provider, onInternalError);
        pairs++;
        sentToPair = 0;
      }
      sentToPair++;
      counts[kind]++;
      toServer = rng.bool();
      if (kind === 'random') {
        input = randomDatagram(rng, pair);
      } else if (kind === 'mutated') {
        const r = recorded[rng.int(recorded.length)]!;
        toServer = r.toServer;
        input = mutate(rng, r.data, recorded);
      } else if (kind === 'sealed-1rtt') {
        // The sender's real keys: the client's to the server, the server's to the client.
        const sender = toServer ? pair.conn : pair.serverConn();
        if (!sender?.keys.oneRtt) throw new Finding('a fresh pair has no 1-RTT keys');
        const frames: Frame[] = [];
        for (let n = 1 + rng.int(4); n > 0; n--) frames.push(hostileFrame(rng));
        input = forgeShortPacket({
          dcid: sender.path.dcid.cid,
          packetNumber: sender.spaces[PnSpace.Application].nextPn++,
          frames,
          ...(rng.int(4) === 0 ? { rawPayload: rng.bytes(rng.int(40)) } : {}),
          protector: sender.keys.oneRtt.write,
          keyPhase: sender.keys.oneRtt.sendKeyPhase,
        });
        if (input.length > 1500 || rng.int(8) === 0) input = mutate(rng, input, recorded);
      } else {
        toServer = true;
        const dcid = rng.bytes(8 + rng.int(13));
        const frames: Frame[] = [];
        for (let n = rng.int(4); n > 0; n--) frames.push(hostileFrame(rng));
        input = forgeLongPacket({
          type: 'initial',
          dcid,
          scid: rng.bool() ? hello.scid : rng.bytes(rng.int(21)),
          packetNumber: rng.int(4),
          frames,
          ...(rng.bool() ? { rawPayload: hello.frames } : {}),
          protector: initialProtector('client', dcid),
          minSize: 1200,
        });
        if (input.length > 1500) input = input.subarray(0, 1500);
      }
      const engine = toServer ? pair.server : pair.client;
      engine.handleDatagram(
        input.slice(),
        toServer ? PAIR_SERVER_ADDRESS : PAIR_CLIENT_ADDRESS,
        toServer ? PAIR_CLIENT_ADDRESS : PAIR_SERVER_ADDRESS,
        pair.net.now,
      );
      // The engines answer and run their timers now and then (each run costs a simulation).
      if (rng.int(8) === 0) pair.net.runFor(rng.int(4) === 0 ? 200_000 : 2_000);

      if (internal !== null) {
        const info: CloseInfo = internal;
        throw new Finding(`a connection closed with an internal error: ${info.reason}`);
      }
      if (pair.server.connectionCount > MAX_CONNECTIONS) {
        throw new Finding(`server holds ${pair.server.connectionCount} connections`);
      }
      if (Date.now() >= nextHeapCheck) {
        nextHeapCheck = Date.now() + 2000;
        gc?.();
        const growth = process.memoryUsage().heapUsed - heapStart;
        if (growth > MAX_HEAP_GROWTH) {
          throw new Finding(`heap grew by ${(growth / 2 ** 20).toFixed(0)} MiB`);
        }
      }
    }
  } catch (e) {
    const what = e instanceof Error ? (e.stack ?? e.message) : String(e);
    console.error(`fuzz: FINDING with seed ${seed} at iteration ${iteration} (${kind} input)`);
    console.error(`fuzz: input to the ${toServer ? 'server' : 'client'}: ${toHex(input)}`);
    console.error(what);
    process.exitCode = 1;
    return;
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const parts = Object.entries(counts).map(([k, n]) => `${n} ${k}`);
  console.log(`fuzz: ${total} inputs (${parts.join(', ')}) to ${pairs + 1} pairs, no finding`);
}

main();
