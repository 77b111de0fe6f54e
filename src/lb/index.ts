/**
 * QUIC-LB (draft-ietf-quic-load-balancers-21): connection IDs that encode a server ID, so that
 * load balancers and a server's workers route by CID. Servers generate CIDs with
 * QuicLbCidGenerator (or `Engine`'s `quicLb` option); load balancers decode with QuicLbDecoder.
 */
export { type QuicLbConfig, UNROUTABLE_CONFIG_ID, quicLbCidLength } from './config.js';
export { QuicLbCipher } from './cid-cipher.js';
export { QuicLbCidGenerator, type QuicLbServerConfig } from './generator.js';
export { QuicLbDecoder, type QuicLbRoute } from './decoder.js';
