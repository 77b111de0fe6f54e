/**
 * The recovery and congestion state of a path (RFC 9002), made from the connection's options:
 * the first path's (also after a Retry or Version Negotiation, RFC 9002 §6.3) and, with
 * multipath, that of every other path (RFC 10069 §5.3: congestion and RTT state per path).
 */
import { PnSpace } from '../ack/pn-space.js';
import type { CouplingGroup } from '../cc/coupling.js';
import { SendControl } from '../path/send-control.js';
import type { TransportParameters } from '../wire/transport-params.js';
import type { ResolvedOptions } from './options.js';
import type { SentFrame } from './sent-frames.js';

/**
 * Fresh recovery and congestion state. A server whose client's address is not validated yet is
 * bound by the anti-amplification limit (RFC 9000 §8.1). `coupling` is the connection's group
 * of path controllers (RFC 6356: a coupled controller such as 'lia' sizes its increase over all
 * of them; the others ignore it).
 */
export function newSendControl(
  opts: ResolvedOptions,
  isClient: boolean,
  addressValidated: boolean,
  coupling: CouplingGroup,
): SendControl<SentFrame> {
  return new SendControl<SentFrame>({
    isServer: !isClient,
    addressValidated,
    initialRtt: opts.initialRttUs,
    congestionController: opts.congestionControl,
    congestionControllerOptions: { coupling },
    ecn: opts.ecn,
  });
}

/**
 * A path other than 0: it only ever carries 1-RTT packets, past the handshake (RFC 10069 §3.1),
 * with the peer's max_ack_delay once known.
 */
export function newPathSendControl(
  opts: ResolvedOptions,
  isClient: boolean,
  addressValidated: boolean,
  peerParams: TransportParameters | null,
  coupling: CouplingGroup,
  now: number,
): SendControl<SentFrame> {
  const sc = newSendControl(opts, isClient, addressValidated, coupling);
  sc.discardSpace(PnSpace.Initial, now);
  sc.discardSpace(PnSpace.Handshake, now);
  sc.onHandshakeConfirmed(now);
  if (peerParams) sc.setPeerMaxAckDelay(peerParams.maxAckDelay * 1000);
  return sc;
}
