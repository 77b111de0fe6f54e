/**
 * The server's SETTINGS a client remembers for 0-RTT (RFC 9114 §7.2.4.2): a client resuming with
 * 0-RTT starts from the values of the connection that gave it the session ticket, instead of the
 * defaults, so that its 0-RTT requests can use the QPACK dynamic table (RFC 9204 §3.2.3). When
 * the server's SETTINGS arrive they are checked against what was remembered.
 */
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import { H3SettingId } from '../frames.js';

/** A setting's value, or its default when absent (RFC 9114 §7.2.4.1, RFC 9204 §5). */
function value(settings: ReadonlyMap<number, number>, id: number): number {
  const v = settings.get(id);
  if (v !== undefined) return v;
  // SETTINGS_MAX_FIELD_SECTION_SIZE has no limit by default; the QPACK settings default to 0.
  return id === H3SettingId.MAX_FIELD_SECTION_SIZE ? Number.POSITIVE_INFINITY : 0;
}

/** The limits a client complying with remembered settings relies on (RFC 9114 §7.2.4.2). */
const LIMITS = [H3SettingId.QPACK_BLOCKED_STREAMS, H3SettingId.MAX_FIELD_SECTION_SIZE] as const;

/**
 * Checks the server's SETTINGS against the remembered ones; throws the connection error.
 *
 * - 0-RTT accepted: a non-zero remembered SETTINGS_QPACK_MAX_TABLE_CAPACITY must come back the
 *   same (RFC 9204 §3.2.3: else QPACK_DECODER_STREAM_ERROR), and no limit may be reduced
 *   (RFC 9114 §7.2.4.2: else H3_SETTINGS_ERROR).
 * - 0-RTT rejected: the server's values rule (RFC 9204 §3.2.3). Once the encoder has inserted
 *   under the remembered capacity, sections were encoded against it (RFC 9204 §4.5.1.1), which
 *   the transport sends again in 1-RTT; different QPACK values then cannot be complied with.
 */
export function checkRememberedSettings(
  remembered: ReadonlyMap<number, number>,
  actual: ReadonlyMap<number, number>,
  earlyDataAccepted: boolean,
  encoderInserted: boolean,
): void {
  const capacity = H3SettingId.QPACK_MAX_TABLE_CAPACITY;
  const blocked = H3SettingId.QPACK_BLOCKED_STREAMS;
  if (earlyDataAccepted) {
    const r = value(remembered, capacity);
    if (r > 0 && value(actual, capacity) !== r) {
      throw new H3ProtocolError(
        H3ErrorCode.QPACK_DECODER_STREAM_ERROR,
        `0-RTT used a QPACK table capacity of ${r}, the server's SETTINGS say ${value(actual, capacity)}`,
      );
    }
    for (const id of LIMITS) {
      if (value(actual, id) < value(remembered, id)) {
        throw new H3ProtocolError(
          H3ErrorCode.H3_SETTINGS_ERROR,
          `the server accepted 0-RTT and reduced setting 0x${id.toString(16)} from ${value(remembered, id)} to ${value(actual, id)}`,
        );
      }
    }
    return;
  }
  if (
    encoderInserted &&
    (value(actual, capacity) !== value(remembered, capacity) ||
      value(actual, blocked) < value(remembered, blocked))
  ) {
    throw new H3ProtocolError(
      H3ErrorCode.H3_INTERNAL_ERROR,
      "0-RTT was rejected and the server's QPACK settings differ from the remembered ones the requests were encoded with",
    );
  }
}

/** Whether the encoder keeps what it was given from the remembered settings. */
export function keepsRememberedEncoder(
  remembered: ReadonlyMap<number, number>,
  earlyDataAccepted: boolean,
  encoderInserted: boolean,
): boolean {
  // Checked compatible above: the same capacity, at least as many blocked streams.
  return (
    value(remembered, H3SettingId.QPACK_MAX_TABLE_CAPACITY) > 0 &&
    (earlyDataAccepted || encoderInserted)
  );
}
