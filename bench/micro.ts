/**
 * The micro group: packet protection per provider (bench/crypto.ts), complete TLS handshakes in
 * memory (bench/tls.ts; also X25519MLKEM768 against x25519) and the STREAM/ACK frame codecs (bench/frames.ts), all per CPU-second.
 */
import { defaultProvider } from '../src/crypto/index.js';
import { runCryptoBench, type CryptoBenchOptions } from './crypto.js';
import { runFrameBench } from './frames.js';
import { runLbBench } from './lb.js';
import type { BenchGroup, GroupContext } from './lib/group.js';
import { runHandshakeBench, runKeyExchangeBench, type HandshakeBenchOptions } from './tls.js';

/** Targets recorded with the crypto and TLS benchmarks (bench/README.md). */
const PACKET_TARGET = 100_000;
const HANDSHAKE_TARGET = 500;

function crypto(ctx: GroupContext): void {
  const opts: CryptoBenchOptions = ctx.quick
    ? {
        durationMs: 60,
        runs: 3,
        providers: [defaultProvider],
        suites: ['TLS_AES_128_GCM_SHA256'],
        packetSizes: [1200],
        keyExchange: false,
      }
    : {};
  ctx.log('packet protection, header protection, key exchange, primitives');
  const r = runCryptoBench(opts);
  const key = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  for (const p of r.packets) {
    const main =
      p.provider === defaultProvider.name &&
      p.suite === 'TLS_AES_128_GCM_SHA256' &&
      p.size === 1200;
    for (const [dir, runs] of [
      ['protect', p.protectRuns],
      ['unprotect', p.unprotectRuns],
    ] as const) {
      ctx.rec.figure({
        id: `micro.crypto.${p.provider}.${key(p.suite)}.${p.size}.${dir}`,
        name: `${dir} ${p.size}-byte packet, ${p.suite}, ${p.provider} provider`,
        unit: 'packets/s',
        runs,
        params: { provider: p.provider, suite: p.suite, size: p.size, direction: dir },
        ...(main ? { target: { op: '>=', value: PACKET_TARGET }, profile: 'crypto-packets' } : {}),
      });
    }
  }
  for (const a of r.aead) {
    for (const [dir, runs] of [
      ['seal', a.sealRuns],
      ['open', a.openRuns],
    ] as const) {
      ctx.rec.figure({
        id: `micro.aead.${a.provider}.${a.alg}.${a.size}.batch${a.batch}.${dir}`,
        name: `AEAD ${dir} per ${a.size}-byte packet, ${a.alg}, ${a.batch} per call, ${a.provider} provider`,
        unit: 'µs',
        runs,
        params: { provider: a.provider, alg: a.alg, size: a.size, batch: a.batch, direction: dir },
      });
    }
  }
  for (const h of r.headerProtection) {
    const batch = h.batch === 1 ? '' : `.batch${h.batch}`;
    ctx.rec.figure({
      id: `micro.hp.${h.provider}.${h.alg}${batch}`,
      name: `header protection mask, ${h.alg}, ${h.batch} per call, ${h.provider} provider`,
      unit: 'ns',
      runs: h.runs,
      params: { provider: h.provider, alg: h.alg, batch: h.batch },
    });
  }
  for (const k of r.keyExchange) {
    ctx.rec.figure({
      id: `micro.kex.${k.provider}.${k.group}.generate`,
      name: `key share generation, ${k.group}, ${k.provider} provider`,
      unit: 'µs',
      runs: k.generateRuns,
    });
    ctx.rec.figure({
      id: `micro.kex.${k.provider}.${k.group}.derive`,
      name: `shared secret derivation, ${k.group}, ${k.provider} provider`,
      unit: 'µs',
      runs: k.deriveRuns,
    });
  }
  for (const p of r.primitives) {
    ctx.rec.figure({
      id: `micro.primitive.${p.provider}.${key(p.op)}`,
      name: `${p.op}, ${p.provider} provider`,
      unit: 'µs',
      runs: p.runs,
    });
  }
}

function handshakes(ctx: GroupContext): void {
  const opts: HandshakeBenchOptions = ctx.quick
    ? { durationMs: 150, runs: 3, keyTypes: ['ec-p256'], resumption: false }
    : {};
  ctx.log('TLS 1.3 handshakes in memory');
  const r = runHandshakeBench(opts);
  for (const x of r.rates) {
    ctx.rec.figure({
      id: `micro.tls.${x.keyType}`,
      name:
        x.keyType === 'resumed'
          ? `TLS 1.3 resumed (PSK) handshake in memory, ${x.group}`
          : `TLS 1.3 full handshake in memory, ${x.keyType} server key, ${x.group}`,
      unit: 'handshakes/s',
      runs: x.handshakesPerSec.runs,
      params: { keyType: x.keyType, group: x.group },
      ...(x.keyType === 'ec-p256'
        ? { target: { op: '>=', value: HANDSHAKE_TARGET }, profile: 'tls-handshake' }
        : {}),
    });
  }
  ctx.log('TLS 1.3 handshakes in memory: X25519MLKEM768 against x25519, shares against HRR');
  for (const x of runKeyExchangeBench(ctx.quick ? { durationMs: 150, runs: 3 } : {})) {
    ctx.rec.figure({
      id: `micro.tls.kex.${x.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      name: `TLS 1.3 full handshake in memory, ec-p256 server key, ${x.label} (${x.clientHellos} ClientHello(s) of ${x.clientHelloBytes} bytes)`,
      unit: 'handshakes/s',
      runs: x.handshakesPerSec.runs,
      params: { group: x.group ?? '', clientHellos: x.clientHellos },
    });
  }
}

function frames(ctx: GroupContext): void {
  ctx.log('STREAM and ACK frame encode/decode');
  const rates = runFrameBench(ctx.quick ? { durationMs: 60, runs: 3 } : {});
  for (const f of rates) {
    ctx.rec.figure({
      id: `micro.frames.${f.operation.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      name: `${f.operation} frame`,
      unit: 'frames/s',
      runs: f.perSec.runs,
    });
  }
}

function quicLb(ctx: GroupContext): void {
  ctx.log('QUIC-LB: route a datagram by CID, issue a CID');
  const rates = runLbBench(
    ctx.quick ? { durationMs: 60, runs: 3, providers: [defaultProvider] } : {},
  );
  for (const f of rates) {
    ctx.rec.figure({
      id: `micro.quic-lb.${f.operation.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      name: f.operation,
      unit: 'CIDs/s',
      runs: f.perSec.runs,
    });
  }
}

export const microGroup: BenchGroup = {
  name: 'micro',
  summary:
    'packet protection, TLS handshakes in memory, frame encode/decode, QUIC-LB CIDs (per CPU-second)',
  run(ctx) {
    crypto(ctx);
    handshakes(ctx);
    frames(ctx);
    quicLb(ctx);
    return Promise.resolve();
  },
};
