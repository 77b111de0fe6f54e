import assert from 'node:assert/strict';
import { resolveOptions, type ConnectionOptions } from '../../src/conn/options.js';

describe('conn/options: connection options and their defaults', () => {
  it('fills in the documented defaults, times converted to µs where the core uses them', () => {
    const r = resolveOptions({ alpn: ['h3'] });
    assert.deepEqual(r.alpn, ['h3']);
    assert.equal(r.version, 1);
    assert.equal(r.idleTimeoutMs, 30_000);
    assert.equal(r.keepAliveUs, 0);
    assert.equal(r.initialMaxData, 1 << 20);
    assert.equal(r.initialMaxStreamData, 256 * 1024);
    assert.equal(r.maxConnectionWindow, 16 << 20);
    assert.equal(r.maxStreamWindow, 8 << 20);
    assert.equal(r.maxStreamsBidi, 100);
    assert.equal(r.maxStreamsUni, 100);
    assert.equal(r.streamSendBuffer, 1 << 20);
    // RFC 9000 §18.2: max_ack_delay defaults to 25 ms, ack_delay_exponent to 3.
    assert.equal(r.maxAckDelayMs, 25);
    assert.equal(r.ackDelayExponent, 3);
    assert.equal(r.maxDatagramFrameSize, 0, 'DATAGRAM off unless asked for (RFC 9221 §3)');
    // RFC 9002 §6.2.2: an initial RTT of 333 ms.
    assert.equal(r.initialRttUs, 333_000);
    assert.equal(r.maxUdpPayload, 1452);
    assert.deepEqual(r.pmtud, { enabled: true, base: 1200, max: 1452 });
    assert.equal(r.disableActiveMigration, false);
    assert.equal(r.keyUpdateInterval, 2 ** 22);
    assert.equal(r.keyUpdateAfterBytes, 0);
    assert.equal(r.greaseQuicBit, true);
    assert.equal(r.ecn, false);
    assert.equal(r.ackFrequency, true);
    assert.equal(r.multipath, null, 'multipath off by default');
    assert.equal(r.random, null);
    assert.equal(typeof r.congestionControl, 'function');
  });

  it('converts keep-alive and initial RTT from ms to µs', () => {
    const r = resolveOptions({ alpn: ['t'], keepAlive: 15, initialRtt: 100, idleTimeout: 0 });
    assert.equal(r.keepAliveUs, 15_000);
    assert.equal(r.initialRttUs, 100_000);
    assert.equal(r.idleTimeoutMs, 0, '0 disables the idle timeout (RFC 9000 §10.1)');
  });

  it('requires at least one ALPN protocol', () => {
    assert.throws(() => resolveOptions({ alpn: [] }), TypeError);
    assert.throws(() => resolveOptions({} as { alpn: string[] }), TypeError);
  });

  it('keeps max_udp_payload_size an integer within 1200..65527 (RFC 9000 §18.2)', () => {
    assert.throws(() => resolveOptions({ alpn: ['t'], maxUdpPayload: 1199 }), RangeError);
    assert.throws(() => resolveOptions({ alpn: ['t'], maxUdpPayload: 65528 }), RangeError);
    assert.throws(
      () => resolveOptions({ alpn: ['t'], maxUdpPayload: 1300.5 }),
      /^RangeError: options\.maxUdpPayload must be an integer within 1200\.\.65527$/,
    );
    assert.throws(() => resolveOptions({ alpn: ['t'], maxUdpPayload: NaN }), RangeError);
    assert.equal(resolveOptions({ alpn: ['t'], maxUdpPayload: 1200 }).maxUdpPayload, 1200);
    assert.equal(resolveOptions({ alpn: ['t'], maxUdpPayload: 65527 }).maxUdpPayload, 65527);
  });

  it('takes only integers within range for the numeric options', () => {
    const bad: [keyof ConnectionOptions, number][] = [
      ['idleTimeout', 1.5],
      ['idleTimeout', -1],
      ['keepAlive', 0.5],
      ['keepAlive', -1],
      ['initialMaxData', 1000.5],
      ['initialMaxData', -1],
      ['initialMaxStreamData', 1.5],
      ['maxConnectionWindow', 1e6 + 0.5],
      ['maxStreamWindow', -1],
      ['maxStreamsBidi', 2.5],
      ['maxStreamsUni', -1],
      ['maxStreamsUni', Infinity],
      ['streamSendBuffer', 0],
      ['streamSendBuffer', 100.5],
      ['maxAckDelay', 2 ** 14], // RFC 9000 §18.2: 2^14 or more is invalid
      ['maxAckDelay', 2.5],
      ['ackDelayExponent', 21], // RFC 9000 §18.2: above 20 is invalid
      ['ackDelayExponent', 1.5],
      ['maxDatagramFrameSize', 1200.5],
      ['initialRtt', 0],
      ['initialRtt', NaN],
      ['keyUpdateInterval', 0],
      ['keyUpdateAfterBytes', 0.5],
      ['keyUpdateAfterBytes', 2 ** 53],
    ];
    for (const [name, value] of bad) {
      assert.throws(
        () => resolveOptions({ alpn: ['t'], [name]: value }),
        (e: unknown) =>
          e instanceof RangeError && e.message.startsWith(`options.${name} must be an integer`),
        `${name}: ${value}`,
      );
    }
    const edges = resolveOptions({
      alpn: ['t'],
      idleTimeout: 0,
      maxAckDelay: 2 ** 14 - 1,
      ackDelayExponent: 20,
      streamSendBuffer: 1,
      initialRtt: 1,
      maxStreamsBidi: 0,
    });
    assert.equal(edges.maxAckDelayMs, 2 ** 14 - 1);
    assert.equal(edges.ackDelayExponent, 20);
    assert.equal(edges.initialRttUs, 1000);
    assert.equal(edges.maxStreamsBidi, 0);
  });

  it('keeps the PMTU search within 1200..maxUdpPayload (RFC 9000 §14.3)', () => {
    const r = resolveOptions({ alpn: ['t'], maxUdpPayload: 9000, pmtud: { base: 1280 } });
    assert.deepEqual(r.pmtud, { enabled: true, base: 1280, max: 9000 }, 'max follows the payload');
    const off = resolveOptions({ alpn: ['t'], pmtud: { enabled: false } });
    assert.equal(off.pmtud.enabled, false);
    const bad = [
      { base: 1199 },
      { base: 1300.5 },
      { base: 1500 }, // above maxUdpPayload 1452
      { max: 1452 + 1 },
      { base: 1300, max: 1250 },
      { max: 1400.5 },
    ];
    for (const pmtud of bad) {
      assert.throws(
        () => resolveOptions({ alpn: ['t'], pmtud }),
        RangeError,
        JSON.stringify(pmtud),
      );
    }
  });

  it('multipath: true takes path IDs up to 4 and the minRTT scheduler (RFC 10069 §2.1)', () => {
    assert.deepEqual(resolveOptions({ alpn: ['t'], multipath: true }).multipath, {
      maxPathId: 4,
      scheduler: 'minrtt',
    });
    assert.equal(resolveOptions({ alpn: ['t'], multipath: false }).multipath, null);
    assert.deepEqual(
      resolveOptions({ alpn: ['t'], multipath: { maxPathId: 0, scheduler: 'ecf' } }).multipath,
      { maxPathId: 0, scheduler: 'ecf' },
    );
    assert.equal(
      resolveOptions({ alpn: ['t'], multipath: { maxPathId: 0xffffffff } }).multipath!.maxPathId,
      0xffffffff,
    );
  });

  it('rejects a path ID limit outside the 32 bits of the nonce (RFC 10069 §2.1)', () => {
    for (const maxPathId of [-1, 2 ** 32, 1.5, NaN]) {
      assert.throws(
        () => resolveOptions({ alpn: ['t'], multipath: { maxPathId } }),
        RangeError,
        String(maxPathId),
      );
    }
  });

  it('checks the congestion controller when the options are resolved', () => {
    assert.throws(() => resolveOptions({ alpn: ['t'], congestionControl: 'no-such-cc' }));
    const factory = () => {
      throw new Error('not called');
    };
    assert.equal(
      resolveOptions({ alpn: ['t'], congestionControl: factory }).congestionControl,
      factory,
    );
  });
});
