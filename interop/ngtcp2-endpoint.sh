#!/bin/bash
# ngtcp2's Debian example programs (gtlsserver, gtlsclient: ngtcp2 with GnuTLS) behind the
# endpoint contract of run_endpoint.sh (ROLE, TESTCASE, REQUESTS, WWW, DOWNLOADS, CERTS, HOST,
# PORT, SSLKEYLOGFILE, QLOGDIR), so `npm run interop` drives every peer the same way.
# They speak HTTP/3 only: every case runs over h3. Exit 127 for a case they cannot run.
set -u
WWW=${WWW:-/www}
DOWNLOADS=${DOWNLOADS:-/downloads}
CERTS=${CERTS:-/certs}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-443}
GTLS_SERVER=${GTLS_SERVER:-gtlsserver}
GTLS_CLIENT=${GTLS_CLIENT:-gtlsclient}
TESTCASE=${TESTCASE:-}

unsupported() {
  echo "ngtcp2 endpoint: test case '$TESTCASE' is not supported ($1)" >&2
  exit 127
}

case "$TESTCASE" in
  v2) unsupported "Debian's ngtcp2 0.12 examples do not speak QUIC v2" ;;
  versionnegotiation | connectionmigration) unsupported "not wired up" ;;
  handshake | transfer | longrtt | chacha20 | multiplexing | retry | resumption | zerortt | \
    http3 | blackhole | keyupdate | amplificationlimit | handshakeloss | multiconnect | \
    transferloss | handshakecorruption | transfercorruption | ipv6 | portrebinding | \
    rebind-port | addressrebinding | rebind-addr | ecn) ;;
  *) unsupported "unknown test case" ;;
esac

QLOG=()
if [ -n "${QLOGDIR:-}" ]; then mkdir -p "$QLOGDIR" && QLOG=(--qlog-dir="$QLOGDIR"); fi

if [ "${ROLE:-}" == "server" ]; then
  ARGS=(-q -d "$WWW" "${QLOG[@]}")
  case "$TESTCASE" in
    retry) ARGS+=(--validate-addr) ;;
    chacha20) ARGS+=(--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305) ;;
  esac
  exec "$GTLS_SERVER" "${ARGS[@]}" "$HOST" "$PORT" "$CERTS/priv.key" "$CERTS/cert.pem"
fi

read -r -a URLS <<< "${REQUESTS:-}"
if [ ${#URLS[@]} -eq 0 ]; then
  echo "ngtcp2 endpoint: REQUESTS is empty" >&2
  exit 1
fi
mkdir -p "$DOWNLOADS"
# Host and port of the first URL (https://HOST:PORT/...; IPv6 literals in brackets).
AUTHORITY=${URLS[0]#https://}
AUTHORITY=${AUTHORITY%%/*}
CPORT=${AUTHORITY##*:}
CHOST=${AUTHORITY%:*}
CHOST=${CHOST#[}
CHOST=${CHOST%]}
ARGS=(-q --download "$DOWNLOADS" --exit-on-all-streams-close --timeout=30s "${QLOG[@]}")
case "$TESTCASE" in
  chacha20) ARGS+=(--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305) ;;
  keyupdate) ARGS+=(--key-update=100ms) ;;
esac

case "$TESTCASE" in
  resumption | zerortt)
    STATE=$(mktemp -d)
    trap 'rm -rf "$STATE"' EXIT
    SESSION=(--session-file="$STATE/session" --tp-file="$STATE/tp")
    "$GTLS_CLIENT" "${ARGS[@]}" "${SESSION[@]}" "$CHOST" "$CPORT" "${URLS[0]}" || exit 1
    EARLY=()
    if [ "$TESTCASE" == "resumption" ]; then EARLY=(--disable-early-data); fi
    if [ ${#URLS[@]} -gt 1 ]; then
      # gtlsclient takes the URLs after host and port.
      "$GTLS_CLIENT" "${ARGS[@]}" "${SESSION[@]}" "${EARLY[@]}" "$CHOST" "$CPORT" "${URLS[@]:1}" || exit 1
    fi
    ;;
  multiconnect | handshakeloss | handshakecorruption)
    for url in "${URLS[@]}"; do
      "$GTLS_CLIENT" "${ARGS[@]}" "$CHOST" "$CPORT" "$url" || exit 1
    done
    ;;
  *)
    "$GTLS_CLIENT" "${ARGS[@]}" "$CHOST" "$CPORT" "${URLS[@]}" || exit 1
    ;;
esac
exit 0
