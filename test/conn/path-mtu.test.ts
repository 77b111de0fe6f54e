import assert from 'node:assert/strict';
import { SentPacket } from '../../src/ack/sent.js';
import { resolveOptions } from '../../src/conn/options.js';
import {
  currentDatagramSize,
  datagramSize,
  onPathPackets,
  pathMtu,
} from '../../src/conn/path-mtu.js';
import { PathState } from '../../src/conn/path-state.js';
import { newSendControl } from '../../src/conn/send-controls.js';
import { CouplingGroup } from '../../src/cc/coupling.js';
import {
  FULL_DATAGRAMS_BEFORE_SEARCH,
  QUIC_MIN_DATAGRAM,
  type PmtudConfig,
} from '../../src/path/pmtud.js';

const A = { address: '10.0.0.1', port: 1000 };
const B = { address: '10.0.0.2', port: 2000 };
const CONFIG: PmtudConfig = { enabled: true, base: 1200, max: 1500 };

function path(validated = true): PathState {
  const sc = newSendControl(resolveOptions({ alpn: ['t'] }), true, true, new CouplingGroup());
  return new PathState(A, B, sc, validated, { sequence: 0, cid: new Uint8Array(8), sentTo: null });
}

/** The path carries enough full datagrams for the search to start. */
function fillDatagrams(p: PathState, now: number): void {
  for (let i = 0; i < FULL_DATAGRAMS_BEFORE_SEARCH; i++) p.onDatagramSent(1200, now);
}

function probe(pn: number, size: number, at: number): SentPacket<unknown> {
  return new SentPacket(pn, at, size, true, true, [], true);
}

describe('conn/path-mtu: DPLPMTUD of the connection paths (RFC 9000 §14.3)', () => {
  it('makes one search per path, on first use', () => {
    const p = path();
    assert.equal(p.pmtud, null);
    const pm = pathMtu(p, CONFIG);
    assert.equal(pathMtu(p, CONFIG), pm);
    assert.notEqual(pathMtu(path(), CONFIG), pm, 'a new path starts again');
  });

  it('sends 1,200 bytes while the peer limit is unknown (RFC 9000 §14.1)', () => {
    const p = path();
    assert.equal(currentDatagramSize(p, 0), QUIC_MIN_DATAGRAM);
    assert.equal(datagramSize(p, CONFIG, 0, true, 0), QUIC_MIN_DATAGRAM);
    assert.equal(p.pmtud!.phase, 'idle', 'no search without the peer limit');
  });

  it('starts the search only once the handshake is confirmed on a validated path (§14.3.1)', () => {
    const p = path();
    datagramSize(p, CONFIG, 1500, false, 0);
    assert.equal(p.pmtud!.phase, 'idle', 'not before confirmation');
    const unvalidated = path(false);
    datagramSize(unvalidated, CONFIG, 1500, true, 0);
    assert.equal(unvalidated.pmtud!.phase, 'idle', 'not on an unvalidated path');
    datagramSize(p, CONFIG, 1500, true, 0);
    assert.equal(p.pmtud!.phase, 'base', 'confirmed: the base holds until a datagram fills it');
    assert.equal(p.pmtud!.maxSize, 1500);
    p.onDatagramSent(600, 1);
    assert.equal(p.pmtud!.phase, 'base', 'a short datagram does not start the search');
    p.onDatagramSent(1200, 2);
    assert.equal(p.pmtud!.phase, 'base', 'nor does one full datagram');
    fillDatagrams(p, 3);
    assert.equal(p.pmtud!.phase, 'searching', 'a flow that keeps filling them does');
  });

  it('the search is bounded by the peer max_udp_payload_size (RFC 9000 §18.2)', () => {
    const p = path();
    datagramSize(p, CONFIG, 1300, true, 0);
    assert.equal(p.pmtud!.maxSize, 1300);
  });

  it('a confirmed probe raises the datagram size and the send control follows (RFC 9002 §7.2)', () => {
    const p = path();
    assert.equal(datagramSize(p, CONFIG, 1500, true, 0), 1200);
    assert.equal(p.sendControl.maxDatagramSize, 1200);
    fillDatagrams(p, 0);
    const pm = p.pmtud!;
    const size = pm.probeSize(1);
    assert.ok(size > 1200 && size <= 1500);
    pm.onProbeSent(7, size);
    assert.equal(onPathPackets(p, [probe(7, size, 1)], [], 2), true, 'PLPMTU changed');
    assert.equal(currentDatagramSize(p, 1500), size);
    assert.equal(datagramSize(p, CONFIG, 1500, true, 3), size);
    assert.equal(p.sendControl.maxDatagramSize, size);
    // The peer limit still bounds what is sent.
    assert.equal(currentDatagramSize(p, 1250), 1250);
  });

  it('a lost probe changes nothing; a path without a search ignores its packets', () => {
    const p = path();
    datagramSize(p, CONFIG, 1500, true, 0);
    fillDatagrams(p, 0);
    const size = p.pmtud!.probeSize(1);
    p.pmtud!.onProbeSent(3, size);
    assert.equal(onPathPackets(p, [], [probe(3, size, 1)], 2), false);
    assert.equal(currentDatagramSize(p, 1500), 1200);
    assert.equal(p.pmtud!.stats.probesLost, 1);
    const fresh = path();
    assert.equal(onPathPackets(fresh, [probe(0, 1400, 0)], [probe(1, 1400, 0)], 1), false);
    assert.equal(fresh.pmtud, null, 'no search made by the packets');
  });
});
