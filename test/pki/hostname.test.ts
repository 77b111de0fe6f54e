import assert from 'node:assert/strict';
import { dnsNameMatches, formatIpAddress, parseIpAddress } from '../../src/tls/x509/index.js';
import { toHex } from '../../src/util/bytes.js';

describe('host names and IP addresses', () => {
  it('parses IPv4 dotted quads strictly', () => {
    assert.equal(toHex(parseIpAddress('127.0.0.1')!), '7f000001');
    assert.equal(toHex(parseIpAddress('255.255.255.255')!), 'ffffffff');
    for (const s of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '']) {
      assert.equal(parseIpAddress(s), null, s);
    }
  });

  it('parses IPv6 text forms (RFC 4291 §2.2)', () => {
    const cases: [string, string][] = [
      ['::1', '00000000000000000000000000000001'],
      ['::', '00000000000000000000000000000000'],
      ['2001:db8::', '20010db8000000000000000000000000'],
      ['2001:DB8:0:0:8:800:200C:417A', '20010db80000000000080800200c417a'],
      ['fe80::1:2', 'fe800000000000000000000000010002'],
      ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
      ['[::1]', '00000000000000000000000000000001'],
      ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ];
    for (const [s, hex] of cases) assert.equal(toHex(parseIpAddress(s)!), hex, s);
    for (const s of [
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '12345::',
      ':1:2:3:4:5:6:7',
      'fe80::1%eth0',
      '::ffff:1.2.3',
      'g::1',
      '1:2:3:4:5:6:7:8::',
    ]) {
      assert.equal(parseIpAddress(s), null, s);
    }
  });

  it('formats IPv6 per RFC 5952 §4', () => {
    const f = (s: string) => formatIpAddress(parseIpAddress(s)!);
    assert.equal(f('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
    assert.equal(f('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a single zero group stays
    assert.equal(f('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1'); // the longest run is compressed
    assert.equal(f('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // the first of equal runs
    assert.equal(f('0:0:0:0:0:0:0:0'), '::');
    assert.equal(f('1:0:0:0:0:0:0:0'), '1::');
    assert.equal(f('2001:DB8::ABCD'), '2001:db8::abcd');
    assert.equal(formatIpAddress(Uint8Array.of(10, 0, 0, 1)), '10.0.0.1');
  });

  it('matches DNS names with the RFC 6125 / RFC 9525 wildcard rule', () => {
    const yes: [string, string][] = [
      ['example.com', 'example.com'],
      ['Example.COM', 'example.com'],
      ['example.com.', 'example.com'],
      ['example.com', 'EXAMPLE.com.'],
      ['*.example.com', 'www.example.com'],
      ['*.example.com', 'xn--caf-dma.example.com'],
    ];
    const no: [string, string][] = [
      ['example.com', 'www.example.com'],
      ['*.example.com', 'example.com'],
      ['*.example.com', 'a.b.example.com'],
      ['*.example.com', '.example.com'],
      ['*.com', 'example.com'], // too broad: a single-label suffix
      ['*', 'localhost'],
      ['w*.example.com', 'www.example.com'], // partial-label wildcards are not supported
      ['*w.example.com', 'ww.example.com'],
      ['www.*.com', 'www.example.com'],
      ['*.*.example.com', 'a.b.example.com'],
      ['', ''],
      ['example.com', ''],
    ];
    for (const [p, h] of yes) assert.equal(dnsNameMatches(p, h), true, `${p} ~ ${h}`);
    for (const [p, h] of no) assert.equal(dnsNameMatches(p, h), false, `${p} !~ ${h}`);
  });
});
