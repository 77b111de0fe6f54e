/**
 * HTTP/3's part of a server's session tickets (`ServerConfig.ticketApplication`): the SETTINGS
 * the server advertised, remembered so that a client's 0-RTT relying on them is only accepted
 * while they still hold (RFC 9114 §7.2.4.2: a server accepting 0-RTT must not reduce a limit
 * or alter a value the client's 0-RTT data could violate; RFC 9204 §3.2.3: a non-zero remembered
 * SETTINGS_QPACK_MAX_TABLE_CAPACITY must stay the same). When they do not, the resumption goes
 * on and the requests come again in 1-RTT under the new SETTINGS.
 */
import type { TicketApplication } from '../engine/ticket-app-data.js';
import { Reader, Writer } from '../util/cursor.js';
import { DecodeError } from '../util/errors.js';
import { H3SettingId } from './frames.js';
import {
  advertisedSettings,
  type AdvertisedSettingsOptions,
} from './session/advertised-settings.js';

/** The ALPN of HTTP/3 (RFC 9114 §3.1). */
const H3_ALPN = 'h3';

/** The settings as varint pairs, in the order of the map. */
export function encodeTicketSettings(settings: ReadonlyMap<number, number>): Uint8Array {
  const w = Writer.growable(16 * settings.size + 1);
  for (const [id, value] of settings) w.varint(id).varint(value);
  return w.finish();
}

/** The settings, or null when the bytes are not varint pairs with distinct identifiers. */
export function decodeTicketSettings(b: Uint8Array): Map<number, number> | null {
  const settings = new Map<number, number>();
  try {
    const r = new Reader(b);
    while (r.remaining > 0) {
      const id = r.varint();
      if (settings.has(id)) return null;
      settings.set(id, r.varint());
    }
    return settings;
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}

/** A setting's value, or its default when absent (RFC 9114 §7.2.4.1, RFC 9204 §5). */
function value(settings: ReadonlyMap<number, number>, id: number): number {
  const v = settings.get(id);
  if (v !== undefined) return v;
  return id === H3SettingId.MAX_FIELD_SECTION_SIZE ? Number.POSITIVE_INFINITY : 0;
}

/**
 * Why the server's `current` SETTINGS cannot accept 0-RTT sent under `remembered`, or null when
 * they can: the limits (blocked streams, field section size) may only grow, a non-zero table
 * capacity must stay as it was, and any other setting must keep its value.
 */
export function settingsChangeForEarlyData(
  remembered: ReadonlyMap<number, number>,
  current: ReadonlyMap<number, number>,
): string | null {
  const ids = new Set([...remembered.keys(), ...current.keys()]);
  for (const id of ids) {
    const was = value(remembered, id);
    const now = value(current, id);
    switch (id) {
      case H3SettingId.QPACK_BLOCKED_STREAMS:
      case H3SettingId.MAX_FIELD_SECTION_SIZE:
        if (now < was) return `setting 0x${id.toString(16)} reduced from ${was} to ${now}`;
        break;
      case H3SettingId.QPACK_MAX_TABLE_CAPACITY:
        if (was > 0 && now !== was) return `QPACK table capacity ${was} changed to ${now}`;
        break;
      default:
        if (now !== was) return `setting 0x${id.toString(16)} changed from ${was} to ${now}`;
    }
  }
  return null;
}

/**
 * The ticket part of an HTTP/3 server advertising the SETTINGS of `options` (the options given
 * to its `h3Server`; servers sharing ticket keys should agree on them). Tickets of other
 * protocols (hq-interop on the same server) are not judged by it.
 */
export function h3TicketApplication(options: AdvertisedSettingsOptions = {}): TicketApplication {
  const current = advertisedSettings(options);
  return {
    data: encodeTicketSettings(current),
    acceptsEarlyData: (remembered, alpn) => {
      if (alpn !== H3_ALPN) return true;
      const settings = decodeTicketSettings(remembered);
      return settings !== null && settingsChangeForEarlyData(settings, current) === null;
    },
  };
}
