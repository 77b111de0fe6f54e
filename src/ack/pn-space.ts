/**
 * Packet number spaces (RFC 9000 §12.3). Acknowledgment state, loss detection and ECN counts are
 * kept per space; 0-RTT and 1-RTT packets share the Application Data space.
 */
export const PnSpace = {
  Initial: 0,
  Handshake: 1,
  Application: 2,
} as const;

export type PnSpace = (typeof PnSpace)[keyof typeof PnSpace];

/** The three spaces in the order RFC 9002 Appendix A walks them. */
export const PN_SPACES: readonly PnSpace[] = [
  PnSpace.Initial,
  PnSpace.Handshake,
  PnSpace.Application,
];

/** Lowercase name as qlog prints it ("initial", "handshake", "application_data"). */
export function pnSpaceName(space: PnSpace): string {
  return space === PnSpace.Initial
    ? 'initial'
    : space === PnSpace.Handshake
      ? 'handshake'
      : 'application_data';
}

/** ECN codepoints as carried in the IP header's two ECN bits (RFC 3168 §5). */
export const Ecn = {
  NotEct: 0b00,
  Ect1: 0b01,
  Ect0: 0b10,
  Ce: 0b11,
} as const;

export type Ecn = (typeof Ecn)[keyof typeof Ecn];
