/** X.501 Names (RFC 5280 §4.1.2.4): reading to text, and making a commonName-only Name. */
import {
  DerReader,
  decodeString,
  derOid,
  derSequence,
  derSet,
  derUtf8String,
} from '../../util/der.js';
import { toHex } from '../../util/bytes.js';
import { COMMON_NAME_OID, NAME_ATTRIBUTES } from './oids.js';
import type { DistinguishedName } from './types.js';

/** RFC 4514 §2.4 escaping of an attribute value. */
function escapeValue(v: string): string {
  let s = v.replace(/[\\,+"<>;=]/g, (c) => '\\' + c);
  if (s.startsWith('#') || s.startsWith(' ')) s = '\\' + s;
  if (s.endsWith(' ') && s.length > 1) s = s.slice(0, -1) + '\\ ';
  // Control characters would break the one-line messages this text ends up in.
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** Reads a Name from `r` (which must be at its SEQUENCE). Throws DecodeError when malformed. */
export function readName(r: DerReader): DistinguishedName {
  const nameElement = r.expect(0x30, 'Name');
  const rdns = DerReader.over(nameElement.value);
  const parts: string[] = [];
  let commonName: string | null = null;
  while (!rdns.done) {
    const set = rdns.set();
    const atvs: string[] = [];
    do {
      const atv = set.sequence();
      const type = atv.oid();
      const value = atv.read();
      atv.finish('AttributeTypeAndValue');
      const text = decodeString(value.tag, value.value);
      if (type === COMMON_NAME_OID && commonName === null && text !== null) commonName = text;
      const key = NAME_ATTRIBUTES[type] ?? type;
      atvs.push(`${key}=${text === null ? '#' + toHex(value.raw) : escapeValue(text)}`);
    } while (!set.done);
    parts.push(atvs.join('+'));
  }
  return { der: nameElement.raw, text: parts.join(', '), commonName };
}

/** A Name with one commonName attribute, as UTF8String (RFC 5280 §4.1.2.6). */
export function commonNameDer(cn: string): Uint8Array {
  return derSequence(derSet(derSequence(derOid(COMMON_NAME_OID), derUtf8String(cn))));
}
