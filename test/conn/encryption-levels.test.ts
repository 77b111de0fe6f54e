import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { EncryptionLevels, MAX_UNDECRYPTABLE } from '../../src/conn/encryption-levels.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { createInitialProtectors } from '../../src/crypto/initial.js';
import { PacketProtector } from '../../src/crypto/packet-protection.js';
import { Level } from '../../src/tls/types.js';
import { QUIC_V1 } from '../../src/wire/version.js';

const LOCAL = { address: '10.0.0.1', port: 4433 };
const REMOTE = { address: '10.0.0.2', port: 50000 };

function key(fill: number): PacketProtector {
  return new PacketProtector(
    defaultProvider,
    'TLS_AES_128_GCM_SHA256',
    new Uint8Array(32).fill(fill),
    QUIC_V1,
  );
}

/** A client or server with Initial keys; `oneRtt` also installs both 1-RTT directions. */
function levels(role: 'client' | 'server', oneRtt = false): EncryptionLevels {
  const k = new EncryptionLevels(role === 'client');
  k.installInitial(createInitialProtectors(defaultProvider, QUIC_V1, new Uint8Array(8).fill(1)));
  if (oneRtt) {
    k.install(Level.Application, 'read', key(10));
    k.install(Level.Application, 'write', key(11));
  }
  return k;
}

describe('conn/encryption-levels: packet keys per level (RFC 9001 §4)', () => {
  it('seals and opens Initial packets with the keys of its role (RFC 9001 §5.2)', () => {
    const initial = createInitialProtectors(defaultProvider, QUIC_V1, new Uint8Array(8).fill(1));
    const client = new EncryptionLevels(true);
    client.installInitial(initial);
    assert.equal(client.sealer(PnSpace.Initial), initial.client);
    assert.equal(client.reader(Level.Initial), initial.server);
    const server = new EncryptionLevels(false);
    server.installInitial(initial);
    assert.equal(server.sealer(PnSpace.Initial), initial.server);
    assert.equal(server.reader(Level.Initial), initial.client);
    assert.equal(server.sealer(PnSpace.Handshake), null, 'no Handshake keys yet');
  });

  it('reports Handshake keys ready once both directions are in (RFC 9002 §6.2.1)', () => {
    const k = levels('client');
    const r = key(1);
    const w = key(2);
    assert.deepEqual(k.install(Level.Handshake, 'write', w), {
      readable: false,
      handshakeReady: false,
    });
    assert.deepEqual(k.install(Level.Handshake, 'read', r), {
      readable: true,
      handshakeReady: true,
    });
    assert.equal(k.reader(Level.Handshake), r);
    assert.equal(k.sealer(PnSpace.Handshake), w);
  });

  it('drops Initial and Handshake keys when their space is discarded (RFC 9001 §4.9)', () => {
    const k = levels('server');
    k.install(Level.Handshake, 'read', key(1));
    k.install(Level.Handshake, 'write', key(2));
    k.discard(PnSpace.Initial);
    assert.equal(k.sealer(PnSpace.Initial), null);
    assert.equal(k.reader(Level.Initial), null);
    assert.notEqual(k.sealer(PnSpace.Handshake), null, 'Handshake keys stay');
    k.discard(PnSpace.Handshake);
    assert.equal(k.sealer(PnSpace.Handshake), null);
    assert.equal(k.reader(Level.Handshake), null);
  });

  it('stages 1-RTT keys until both directions exist, then hands them to the key phases', () => {
    const k = levels('server');
    const r = key(10);
    const w = key(11);
    assert.deepEqual(k.install(Level.Application, 'write', w), {
      readable: false,
      handshakeReady: false,
    });
    assert.equal(k.oneRtt, null);
    assert.equal(k.staged, true);
    // RFC 9001 §5.7: a server may send 0.5-RTT data with the 1-RTT write key alone.
    assert.equal(k.sealer(PnSpace.Application), w);
    assert.equal(k.install(Level.Application, 'read', r).readable, true);
    const phases = k.oneRtt as EncryptionLevels['oneRtt'];
    assert.ok(phases);
    assert.equal(k.staged, false, 'the key phases hold the 1-RTT keys alone (RFC 9001 §6.5)');
    assert.equal(phases.read, r);
    assert.equal(k.sealer(PnSpace.Application), w);
    assert.equal(k.reader(Level.Application), r);
  });

  it('client: 0-RTT seals the Application space until 1-RTT replaces it (RFC 9001 §4.9.3)', () => {
    const k = levels('client');
    assert.equal(k.sealer(PnSpace.Application), null);
    const early = key(5);
    k.install(Level.EarlyData, 'write', early);
    assert.equal(k.sealer(PnSpace.Application), early);
    // A client never uses the 1-RTT write key alone (no 0.5-RTT on its side).
    k.install(Level.Application, 'write', key(11));
    assert.equal(k.sealer(PnSpace.Application), early);
    k.install(Level.Application, 'read', key(10));
    assert.equal(k.sealer(PnSpace.Application), k.oneRtt!.write);
  });

  it('client: a new attempt in another version sends no 0-RTT (RFC 9369 §4.1)', () => {
    const k = levels('client');
    k.install(Level.EarlyData, 'write', key(5));
    k.discardEarlyWrite();
    assert.equal(k.sealer(PnSpace.Application), null);
  });

  it('server: accepted 0-RTT is read until 1-RTT packets arrive (RFC 9001 §4.9.3)', () => {
    const k = levels('server');
    const early = key(5);
    assert.equal(k.install(Level.EarlyData, 'read', early).readable, true);
    assert.equal(k.reader(Level.EarlyData), early);
    k.discardEarlyRead();
    assert.equal(k.reader(Level.EarlyData), null);
  });

  it('keeps a bounded copy of packets that came before their keys (RFC 9001 §4.1.4)', () => {
    const k = levels('server');
    const datagram = new Uint8Array(100).fill(9);
    assert.ok(k.buffer(datagram.subarray(10, 60), LOCAL, REMOTE, 2));
    datagram.fill(0); // the datagram is reused by the caller: the buffer kept a copy
    for (let i = 1; i < MAX_UNDECRYPTABLE; i++) assert.ok(k.buffer(datagram, LOCAL, REMOTE, 0));
    assert.equal(k.buffer(datagram, LOCAL, REMOTE, 0), false, 'beyond the limit: dropped');
    assert.equal(k.bufferedCount, MAX_UNDECRYPTABLE);
    // No new read keys: nothing to replay.
    assert.equal(k.takeReplay(), null);
    // A write key opens nothing.
    k.install(Level.Handshake, 'write', key(2));
    assert.equal(k.replayPending, false);
    k.install(Level.Handshake, 'read', key(1));
    assert.equal(k.replayPending, true);
    const replay = k.takeReplay();
    assert.ok(replay);
    assert.equal(replay.length, MAX_UNDECRYPTABLE);
    assert.deepEqual(replay[0], {
      data: new Uint8Array(50).fill(9),
      local: LOCAL,
      remote: REMOTE,
      ecn: 2,
    });
    assert.equal(k.bufferedCount, 0, 'handed over: a packet still without keys is buffered again');
    assert.equal(k.replayPending, false);
    assert.equal(k.takeReplay(), null);
  });

  it('replays nothing when read keys come with nothing buffered, and forgets on a new attempt', () => {
    const k = levels('client');
    k.install(Level.Handshake, 'read', key(1));
    assert.equal(k.replayPending, false);
    k.buffer(new Uint8Array(30), LOCAL, REMOTE, 0);
    k.install(Level.Application, 'read', key(10));
    k.install(Level.Application, 'write', key(11));
    assert.equal(k.replayPending, true);
    k.clearBuffered();
    assert.equal(k.replayPending, false);
    assert.equal(k.bufferedCount, 0);
  });

  it('starts a key update only when asked or due, and only once allowed (RFC 9001 §6.1)', () => {
    const k = levels('client', true);
    const phases = k.oneRtt!;
    assert.equal(k.maybeInitiateUpdate(false), false, 'not asked, not due');
    k.requestUpdate();
    assert.equal(k.maybeInitiateUpdate(false), false, 'nothing of this generation acknowledged');
    k.onOneRttSent(3);
    k.onAckReceived(2);
    assert.equal(k.maybeInitiateUpdate(false), false, 'the ACK covers no 1-RTT packet of ours');
    k.onAckReceived(3);
    assert.equal(phases.sendKeyPhase, false);
    assert.equal(k.maybeInitiateUpdate(false), true);
    assert.equal(phases.sendKeyPhase, true);
    assert.equal(k.keyUpdates, 1);
    // The request is spent, and the update is not complete before the peer answers.
    k.onOneRttSent(4);
    k.onAckReceived(4);
    assert.equal(k.maybeInitiateUpdate(true), false, 'the peer has not updated yet');
  });

  it('tells the 1-RTT packets apart for handshake confirmation by ACK (RFC 9001 §4.1.2)', () => {
    const k = levels('client', true);
    assert.equal(k.sentWithOneRtt(0), false, 'no 1-RTT packet sent yet');
    k.onOneRttSent(7);
    k.onOneRttSent(8);
    assert.equal(k.sentWithOneRtt(6), false, 'a 0-RTT packet');
    assert.equal(k.sentWithOneRtt(7), true);
    assert.equal(k.sentWithOneRtt(9), true);
  });

  it('keeps the previous read keys of a peer update for their time, then drops them', () => {
    const k = levels('server', true);
    const phases = k.oneRtt!;
    assert.equal(k.nextTimeout(), Infinity);
    phases.onPacketOpened(0);
    phases.select(true, 5);
    assert.equal(phases.selectedNext, true);
    phases.commitPeerUpdate(5, 1_000);
    assert.equal(k.nextTimeout(), 1_000);
    k.onTimeout(999);
    assert.notEqual(phases.prevRead, null);
    k.onTimeout(1_000);
    assert.equal(phases.prevRead, null);
    assert.equal(k.nextTimeout(), Infinity);
  });
});
