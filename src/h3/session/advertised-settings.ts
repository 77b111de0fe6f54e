/**
 * The SETTINGS an HTTP/3 endpoint advertises (RFC 9114 §7.2.4.1, RFC 9204 §5) from its options,
 * with their defaults: one source for the session that sends them and for what a server
 * remembers in its session tickets (ticket-settings.ts).
 */
import { H3SettingId } from '../frames.js';

export interface AdvertisedSettingsOptions {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY. Default 4096. */
  qpackMaxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS. Default 16. */
  qpackBlockedStreams?: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE. Default 65536. */
  maxFieldSectionSize?: number;
}

export const DEFAULT_QPACK_MAX_TABLE_CAPACITY = 4096;
export const DEFAULT_QPACK_BLOCKED_STREAMS = 16;
export const DEFAULT_MAX_FIELD_SECTION_SIZE = 65536;

/** The settings advertised (grease aside); values equal to the default 0 are left out. */
export function advertisedSettings(o: AdvertisedSettingsOptions): Map<number, number> {
  const settings = new Map<number, number>();
  const capacity = o.qpackMaxTableCapacity ?? DEFAULT_QPACK_MAX_TABLE_CAPACITY;
  const blocked = o.qpackBlockedStreams ?? DEFAULT_QPACK_BLOCKED_STREAMS;
  // Defaults (0) need not be sent (RFC 9114 §7.2.4.2 lists only values that differ).
  if (capacity > 0) settings.set(H3SettingId.QPACK_MAX_TABLE_CAPACITY, capacity);
  if (blocked > 0) settings.set(H3SettingId.QPACK_BLOCKED_STREAMS, blocked);
  settings.set(
    H3SettingId.MAX_FIELD_SECTION_SIZE,
    o.maxFieldSectionSize ?? DEFAULT_MAX_FIELD_SECTION_SIZE,
  );
  return settings;
}
