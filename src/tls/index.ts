/** The TLS 1.3 core for QUIC: public entry points (RFC 8446, RFC 9001). */
export { createTlsClient, TlsClient } from './client.js';
export { createTlsServer, TlsServer } from './server.js';
export { TicketKeys, type TicketKeysOptions } from './ticket-keys.js';
export { MemoryAntiReplayStore, type AntiReplayStore } from './anti-replay.js';
export { peekClientHello, type ClientHelloPeek } from './client-hello-peek.js';
export {
  decodeSessionTicket,
  encodeSessionTicket,
  sessionTicketValid,
  sessionTicketWithAppData,
  type SessionTicket,
} from './session-ticket.js';
export { Alert, alertName, TlsAlert } from './alert.js';
export * from './types.js';
