/**
 * Server identity checks (RFC 6125 §6, as updated by RFC 9525): a DNS name against dNSName
 * entries with at most one wildcard, which must be the whole left-most label; an IP address
 * against iPAddress entries only. IP literal parsing and canonical formatting live here too.
 */
import type { Certificate } from './types.js';

const IPV4 =
  /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

function parseIpv4(s: string): Uint8Array | null {
  return IPV4.test(s) ? Uint8Array.from(s.split('.').map(Number)) : null;
}

function parseIpv6(s: string): Uint8Array | null {
  let text = s;
  const out = new Uint8Array(16);
  // An embedded dotted quad takes the last 32 bits (RFC 4291 §2.2 form 3).
  let tail: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === null) return null;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const group = /^[0-9a-fA-F]{1,4}$/;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  if (![...head, ...rest].every((g) => group.test(g))) return null;
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const groups = [...head, ...new Array<string>(8 - total).fill('0'), ...rest];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tail !== null) out.set(tail, 12);
  return out;
}

/**
 * Parses an IP literal: a dotted quad, or IPv6 text (brackets allowed, zone IDs refused).
 * Returns 4 or 16 bytes, or null when `s` is not an IP literal.
 */
export function parseIpAddress(s: string): Uint8Array | null {
  const v4 = parseIpv4(s);
  if (v4 !== null) return v4;
  const inner = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  return inner.includes(':') ? parseIpv6(inner) : null;
}

/** Dotted quad for 4 bytes; RFC 5952 §4 text for 16 bytes. */
export function formatIpAddress(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // The longest run (leftmost on ties) of two or more zero groups becomes "::" (§4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function normalizeDns(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Does the presented dNSName `pattern` cover the reference name `host` (both normalized)? */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = normalizeDns(pattern);
  const h = normalizeDns(host);
  if (p === '' || h === '') return false;
  if (!p.includes('*')) return p === h;
  // RFC 9525 §6.3: only "*" as the complete left-most label, matching exactly one label, and
  // never directly under a single-label suffix ("*.com" or "*.localhost" would be too broad).
  if (!p.startsWith('*.') || p.indexOf('*', 1) >= 0) return false;
  const suffix = p.slice(2);
  if (!suffix.includes('.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === suffix;
}

/** Does `cert` identify `serverName` (a DNS name or an IP literal)? */
export function certificateMatchesName(cert: Certificate, serverName: string): boolean {
  const ip = parseIpAddress(serverName);
  const san = cert.subjectAltName;
  if (ip !== null) {
    const text = formatIpAddress(ip);
    return san !== null && san.ipAddresses.includes(text);
  }
  if (san !== null) return san.dnsNames.some((d) => dnsNameMatches(d, serverName));
  // RFC 6125 §6.4.4: the CN is a fallback only for certificates without subjectAltName.
  const cn = cert.subject.commonName;
  return cn !== null && dnsNameMatches(cn, serverName);
}

/** "DNS:a, IP:1.2.3.4" (or the CN) for messages. */
export function describeNames(cert: Certificate): string {
  const san = cert.subjectAltName;
  if (san === null)
    return cert.subject.commonName === null ? 'no names' : `CN:${cert.subject.commonName}`;
  const names = [...san.dnsNames.map((d) => `DNS:${d}`), ...san.ipAddresses.map((a) => `IP:${a}`)];
  return names.length === 0 ? 'no names' : names.join(', ');
}
