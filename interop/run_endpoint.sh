#!/bin/bash
# tsquic's endpoint for the QUIC Interop Runner (quic-interop-runner + quic-network-simulator).
#
# The runner passes everything through the environment:
#   ROLE        client | server
#   TESTCASE    the test case as the endpoint sees it (the runner maps some cases onto others:
#               longrtt -> handshake, multiplexing/blackhole/amplificationlimit/transferloss/
#               transfercorruption/ipv6/rebind-* -> transfer, handshakeloss/handshakecorruption
#               -> multiconnect; keyupdate is "keyupdate" for the client only). The runner's own
#               case names are accepted too, so the script can be driven by hand.
#   REQUESTS    (client) space-separated https:// URLs to download
#   SSLKEYLOGFILE, QLOGDIR   where to write TLS secrets and qlog files (optional)
# and mounts /www (files to serve), /downloads (where the client saves them) and /certs
# (cert.pem, priv.key). Exit 0 on success, 1 on failure, 127 for a case not supported.
#
# Outside Docker every path and the command are overridable, which is how `npm run interop`
# runs this very script on one machine:
#   WWW, DOWNLOADS, CERTS     the three directories (defaults /www, /downloads, /certs)
#   HOST, PORT                the server's bind address and UDP port (defaults :: and 443)
#   TSQUIC                    the tsquic command (default: node /tsquic/dist/src/cli/main.js)
#   SETUP                     the simulator's setup script, run first when it exists (/setup.sh)
#   ALPN                      the client's protocol instead of the case's (h3 against peers
#                             without hq-interop)
#   CLIENT_PARAMS, SERVER_PARAMS   extra arguments, as the simulator passes them
#   PREFERRED_ADDRESS         (server, connectionmigration) the addresses offered in
#                             preferred_address (default: the simulator's server addresses, port
#                             4433)
set -u

WWW=${WWW:-/www}
DOWNLOADS=${DOWNLOADS:-/downloads}
CERTS=${CERTS:-/certs}
HOST=${HOST:-::}
PORT=${PORT:-443}
TSQUIC=${TSQUIC:-node /tsquic/dist/src/cli/main.js}
SETUP=${SETUP:-/setup.sh}
TESTCASE=${TESTCASE:-}
ROLE=${ROLE:-}

unsupported() {
  echo "tsquic endpoint: test case '$TESTCASE' is not supported ($1)" >&2
  exit 127
}

# Cases this endpoint does not support, with the reason (interop/README.md lists them).
case "$TESTCASE" in
  ecn)
    # RFC 9000 §13.4: ECN needs a socket that sets and reads the IP ECN field, the native
    # backend's (node:dgram can do neither); without its addon the case cannot run.
    export TSQUIC_SOCKET=native
    if ! $TSQUIC --version 2>/dev/null | grep -q '^udp socket: native'; then
      unsupported "ECN needs the native UDP socket (native/ addon), which did not load"
    fi ;;
  versionnegotiation)
    if [ "$ROLE" == "client" ]; then unsupported "the client cannot start with a reserved version"; fi ;;
  handshake | transfer | longrtt | chacha20 | multiplexing | retry | resumption | zerortt | \
    http3 | v2 | blackhole | keyupdate | amplificationlimit | handshakeloss | multiconnect | \
    transferloss | handshakecorruption | transfercorruption | ipv6 | portrebinding | rebind-port | \
    addressrebinding | rebind-addr | connectionmigration | goodput | crosstraffic) ;;
  *) unsupported "unknown test case" ;;
esac

if [ -x "$SETUP" ]; then "$SETUP"; fi

QLOG_ARGS=()
if [ -n "${QLOGDIR:-}" ]; then QLOG_ARGS=(--qlog-dir "$QLOGDIR"); fi
# SSLKEYLOGFILE is read by tsquic itself (it appends, so several connections share one file).

if [ "$ROLE" == "server" ]; then
  # One engine: under heavy load the handshake cell against aioquic's client failed twice with
  # serve's default of one worker per core (not reproduced when idle, cause not yet found; issue
  # 14). The multi-worker server's amplificationlimit case is tested in serve-workers.test.ts.
  ARGS=(--host "$HOST" --port "$PORT" --root "$WWW" --cert "$CERTS/cert.pem" --key "$CERTS/priv.key" --workers 1)
  case "$TESTCASE" in
    retry) ARGS+=(--retry) ;;
    # RFC 9000 §9.6: the client moves to the preferred address after the handshake.
    connectionmigration)
      ARGS+=(--preferred-address "${PREFERRED_ADDRESS:-193.167.100.100:4433,[fd00:cafe:cafe:100::100]:4433}") ;;
    # Compatible version negotiation (RFC 9368 §2.3): a v1 first flight that offers v2 is
    # switched to v2. Other cases stay on v1, which the runner checks.
    v2) ARGS+=(--quic-version 2,1) ;;
  esac
  # shellcheck disable=SC2086 # TSQUIC and SERVER_PARAMS are word lists
  exec $TSQUIC serve "${ARGS[@]}" "${QLOG_ARGS[@]}" ${SERVER_PARAMS:-}
fi

if [ "$ROLE" != "client" ]; then
  echo "tsquic endpoint: ROLE must be client or server, got '$ROLE'" >&2
  exit 1
fi

if [ -x /wait-for-it.sh ]; then /wait-for-it.sh sim:57832 -s -t 30; fi

read -r -a URLS <<< "${REQUESTS:-}"
if [ ${#URLS[@]} -eq 0 ]; then
  echo "tsquic endpoint: REQUESTS is empty" >&2
  exit 1
fi
mkdir -p "$DOWNLOADS"

# HTTP/0.9 (hq-interop) unless the case is http3; the runner's certificates are not for the
# names it uses, so the client does not check them.
if [ -z "${ALPN:-}" ]; then
  ALPN=hq-interop
  if [ "$TESTCASE" == "http3" ]; then ALPN=h3; fi
fi
ARGS=(--alpn "$ALPN" --insecure --output "$DOWNLOADS")
case "$TESTCASE" in
  chacha20) ARGS+=(--cipher chacha20) ;;
  keyupdate) ARGS+=(--key-update) ;;
  # The first flight in v1, offering v2 first (RFC 9368 §2.3, RFC 9369 §4).
  v2) ARGS+=(--quic-version 2,1) ;;
esac

get() {
  # shellcheck disable=SC2086
  $TSQUIC get "${ARGS[@]}" "${QLOG_ARGS[@]}" ${CLIENT_PARAMS:-} "$@"
}

case "$TESTCASE" in
  resumption | zerortt)
    # The first file on one connection, which leaves a session ticket; the rest on a second,
    # resumed connection (zerortt: its requests in 0-RTT).
    SESSION=$(mktemp)
    trap 'rm -f "$SESSION"' EXIT
    rm -f "$SESSION"
    get --session "$SESSION" "${URLS[0]}" || exit 1
    if [ ! -s "$SESSION" ]; then
      echo "tsquic endpoint: the server sent no session ticket" >&2
      exit 1
    fi
    EARLY=()
    if [ "$TESTCASE" == "zerortt" ]; then EARLY=(--early-data); fi
    if [ ${#URLS[@]} -gt 1 ]; then get --session "$SESSION" "${EARLY[@]}" "${URLS[@]:1}" || exit 1; fi
    ;;
  multiconnect | handshakeloss | handshakecorruption)
    # One connection per file, one after the other.
    for url in "${URLS[@]}"; do
      get "$url" || exit 1
    done
    ;;
  *)
    get "${URLS[@]}" || exit 1
    ;;
esac
exit 0
