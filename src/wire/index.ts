/** The wire layer: pure codecs for QUIC packets, frames and transport parameters. */
export * from './errors.js';
export * from './frame-types.js';
export * from './version.js';
export * from './packet-number.js';
export * from './header.js';
export * from './frames.js';
export * from './frame-rules.js';
export * from './transport-params.js';
