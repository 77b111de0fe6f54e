/** Shared helpers for the HTTP/3 and QPACK tests. */
import assert from 'node:assert/strict';
import { H3ProtocolError, h3ErrorName } from '../../src/h3/errors.js';

/** A small seeded PRNG (mulberry32): deterministic test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random integer in [0, n). */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** Runs fn and checks it throws an H3ProtocolError with this code (and scope, when given). */
export function assertH3Error(
  fn: () => unknown,
  code: number,
  scope?: 'stream' | 'connection',
): H3ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(
    caught instanceof H3ProtocolError,
    `expected H3ProtocolError ${h3ErrorName(code)}, got ${String(caught)}`,
  );
  assert.equal(caught.code, code, `expected ${h3ErrorName(code)}, got ${caught.message}`);
  if (scope !== undefined) assert.equal(caught.scope, scope);
  return caught;
}

/** An octet string from bytes (see src/h3/latin1.ts). */
export function octets(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
