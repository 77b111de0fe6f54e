import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import { ConnectionTlsCallbacks } from '../../src/conn/handshake.js';
import { SpaceState } from '../../src/conn/space.js';
import { TlsDriver, type CreateTls } from '../../src/conn/tls-driver.js';
import { Level, type TlsCallbacks, type TlsSession } from '../../src/tls/types.js';
import { TransportError } from '../../src/wire/errors.js';

/** A session that calls back what each test asks, during start/receive or later. */
class FakeSession {
  received: [Level, Uint8Array][] = [];
  started = 0;
  onStart: (cb: TlsCallbacks) => void = () => {};
  onReceive: (cb: TlsCallbacks) => void = () => {};
  constructor(
    readonly callbacks: TlsCallbacks,
    readonly resume: boolean,
  ) {}
  start(): void {
    this.started++;
    this.onStart(this.callbacks);
  }
  receive(level: Level, data: Uint8Array): void {
    this.received.push([level, data]);
    this.onReceive(this.callbacks);
  }
}

function setup() {
  const conn = {
    wakes: 0,
    wake() {
      this.wakes++;
    },
    spaces: [
      new SpaceState(PnSpace.Initial, 25_000),
      new SpaceState(PnSpace.Handshake, 25_000),
      new SpaceState(PnSpace.Application, 25_000),
    ],
  };
  const sessions: FakeSession[] = [];
  const params: Uint8Array[] = [];
  const create: CreateTls = (cb, tp, resume) => {
    const s = new FakeSession(cb, resume);
    sessions.push(s);
    params.push(tp);
    return s as unknown as TlsSession;
  };
  const callbacks = new ConnectionTlsCallbacks(conn as unknown as ConnectionContext);
  const driver = new TlsDriver(callbacks, create, new Uint8Array([1]));
  return { conn, sessions, params, callbacks, driver };
}

describe('conn/tls-driver: driving the TLS session (RFC 9001 §4)', () => {
  it('makes a resumable session with our transport parameters', () => {
    const { sessions, params, driver } = setup();
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]!.resume, true);
    assert.deepEqual(params[0], new Uint8Array([1]));
    assert.equal(driver.session, sessions[0] as unknown as TlsSession);
    assert.equal(driver.takeOutcome(), null, 'nothing reported yet');
  });

  it('callbacks during its own calls do not wake the connection; later ones do', () => {
    const { conn, sessions, driver } = setup();
    sessions[0]!.onStart = (cb) => cb.onHandshakeData(Level.Initial, new Uint8Array(5));
    driver.start();
    assert.equal(conn.wakes, 0);
    assert.equal(conn.spaces[PnSpace.Initial]!.hasCryptoToSend, true);
    // An asynchronous callback resumed outside any call of the connection: it must be driven.
    sessions[0]!.callbacks.onHandshakeData(Level.Handshake, new Uint8Array(5));
    assert.equal(conn.wakes, 1);
  });

  it('hands CRYPTO data to the session and returns one outcome, once', () => {
    const { conn, sessions, driver } = setup();
    sessions[0]!.onReceive = (cb) => cb.onHandshakeComplete();
    const data = new Uint8Array([9, 9]);
    driver.receive(Level.Handshake, data);
    assert.deepEqual(sessions[0]!.received, [[Level.Handshake, data]]);
    assert.equal(conn.wakes, 0);
    const o = driver.takeOutcome();
    assert.deepEqual(o, { alert: null, paramsReceived: false, handshakeComplete: true });
    assert.equal(driver.takeOutcome(), null);
  });

  it('keeps the first alert (RFC 9001 §4.8: CRYPTO_ERROR from the TLS alert)', () => {
    const { driver, sessions } = setup();
    sessions[0]!.onReceive = (cb) => {
      cb.onAlert(40, 'handshake failure');
      cb.onAlert(50, 'decode error');
    };
    driver.receive(Level.Initial, new Uint8Array(1));
    const o = driver.takeOutcome();
    assert.equal(o?.alert?.code, TransportError.CRYPTO_ERROR_BASE + 40);
    assert.equal(o?.alert?.message, 'handshake failure');
  });

  it('stops driving even when the session throws', () => {
    const { conn, sessions, driver } = setup();
    sessions[0]!.onReceive = () => {
      throw new Error('bad');
    };
    assert.throws(() => driver.receive(Level.Initial, new Uint8Array(1)), /bad/);
    sessions[0]!.callbacks.onHandshakeData(Level.Initial, new Uint8Array(1));
    assert.equal(conn.wakes, 1, 'a later callback wakes the connection again');
  });

  it('restarts with a new session, without resumption, and starts it', () => {
    const { sessions, params, driver } = setup();
    driver.restart(new Uint8Array([2]));
    assert.equal(sessions.length, 2);
    assert.equal(sessions[1]!.resume, false);
    assert.equal(sessions[1]!.started, 1);
    assert.deepEqual(params[1], new Uint8Array([2]));
    assert.equal(driver.session, sessions[1] as unknown as TlsSession);
  });
});
