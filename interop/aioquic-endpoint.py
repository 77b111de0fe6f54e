"""aioquic (1.3) behind the endpoint contract of run_endpoint.sh, for `npm run interop`.

Environment: ROLE (client | server), TESTCASE, REQUESTS, WWW, DOWNLOADS, CERTS (cert.pem,
priv.key), HOST, PORT, SSLKEYLOGFILE, QLOGDIR, ALPN (overrides the case's protocol). Exit 0 on
success, 1 on failure, 127 for a case not supported. Runs under the venv that
../shared/peers/aioquic/build.sh makes.
"""

import asyncio
import os
import sys
from urllib.parse import urlparse

from aioquic.asyncio import connect, serve
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.logger import QuicFileLogger
from aioquic.quic.packet import QuicProtocolVersion
from aioquic.tls import CipherSuite

from aioquic_common import H0_ALPN, H3_ALPN, Fetcher, FileServer, alpn_list, ticket_store

SUPPORTED = {
    "handshake", "transfer", "longrtt", "chacha20", "multiplexing", "retry", "resumption",
    "zerortt", "http3", "blackhole", "keyupdate", "amplificationlimit", "handshakeloss",
    "multiconnect", "transferloss", "handshakecorruption", "transfercorruption", "ipv6", "v2",
    "portrebinding", "rebind-port", "addressrebinding", "rebind-addr",
}
WHY_UNSUPPORTED = {
    # aioquic 1.3 parses ACK_ECN frames but never marks a packet: asyncio's datagram transport
    # can neither set nor read the IP ECN field.
    "ecn": "aioquic neither marks packets ECT nor reads the ECN field",
}
MULTICONNECT = {"multiconnect", "handshakeloss", "handshakecorruption"}
ENV = os.environ
TESTCASE = ENV.get("TESTCASE", "")
V1, V2 = QuicProtocolVersion.VERSION_1, QuicProtocolVersion.VERSION_2


def base_config(is_client):
    alpn = ENV.get("ALPN") or ("h3" if TESTCASE == "http3" else "hq-interop")
    protocols = alpn_list(alpn) if is_client else H3_ALPN + H0_ALPN
    config = QuicConfiguration(is_client=is_client, alpn_protocols=protocols, max_data=2**24)
    if ENV.get("SSLKEYLOGFILE"):
        config.secrets_log_file = open(ENV["SSLKEYLOGFILE"], "a")
    if ENV.get("QLOGDIR"):
        os.makedirs(ENV["QLOGDIR"], exist_ok=True)
        config.quic_logger = QuicFileLogger(ENV["QLOGDIR"])
    if TESTCASE == "chacha20":
        config.cipher_suites = [CipherSuite.CHACHA20_POLY1305_SHA256]
    return config


async def run_server():
    config = base_config(False)
    certs = ENV.get("CERTS", "/certs")
    config.load_cert_chain(os.path.join(certs, "cert.pem"), os.path.join(certs, "priv.key"))
    # v2: offer v2 first, so a v1 client listing v2 is moved to it (RFC 9368).
    config.supported_versions = [V2, V1] if TESTCASE == "v2" else [V1, V2]
    FileServer.root = ENV.get("WWW", "/www")
    await serve(
        ENV.get("HOST", "::"), int(ENV.get("PORT", "443")), configuration=config,
        create_protocol=FileServer, retry=TESTCASE == "retry", **ticket_store(),
    )
    print(f"listening on {ENV.get('HOST', '::')}:{ENV.get('PORT', '443')}", flush=True)
    await asyncio.Future()


async def fetch(urls, session=None, early=False):
    """Fetches `urls` on one connection; returns the session ticket it received, if any."""
    origin = urlparse(urls[0])
    config = base_config(True)
    config.server_name = origin.hostname
    config.verify_mode = 0  # the runner's certificates are not for the names it uses
    if TESTCASE == "v2":
        config.original_version = V1
        config.supported_versions = [V2, V1]
    tickets = []
    if session is not None:
        config.session_ticket = session
    Fetcher.key_update = TESTCASE == "keyupdate"
    async with connect(
        origin.hostname, origin.port or 443, configuration=config, create_protocol=Fetcher,
        session_ticket_handler=tickets.append, wait_connected=not early,
    ) as client:
        for u in urls:
            client.get(origin.netloc, urlparse(u).path)
        await client.settle(60)
        out = ENV.get("DOWNLOADS", "/downloads")
        for sid, req in client.requests.items():
            if client.check(sid, req["path"]):
                with open(os.path.join(out, os.path.basename(req["path"])), "wb") as f:
                    f.write(req["body"])
        client.finished = True
        if client.failure is None and tickets == [] and session is None:
            # Wait a little for a ticket that trails the responses.
            for _ in range(50):
                if tickets:
                    break
                await asyncio.sleep(0.02)
        client.close()
        await client.wait_closed()
    if client.failure is not None:
        raise RuntimeError(client.failure)
    return tickets[-1] if tickets else None


async def run_client():
    urls = ENV.get("REQUESTS", "").split()
    if not urls:
        raise RuntimeError("REQUESTS is empty")
    os.makedirs(ENV.get("DOWNLOADS", "/downloads"), exist_ok=True)
    if TESTCASE in ("resumption", "zerortt"):
        ticket = await fetch(urls[:1])
        if ticket is None:
            raise RuntimeError("the server sent no session ticket")
        if len(urls) > 1:
            await fetch(urls[1:], session=ticket, early=TESTCASE == "zerortt")
    elif TESTCASE in MULTICONNECT:
        for u in urls:
            await fetch([u])
    else:
        await fetch(urls)


def main():
    if TESTCASE not in SUPPORTED:
        why = WHY_UNSUPPORTED.get(TESTCASE, "not wired up")
        print(f"aioquic endpoint: test case '{TESTCASE}' is not supported ({why})", file=sys.stderr)
        return 127
    role = ENV.get("ROLE")
    try:
        if role == "server":
            asyncio.run(run_server())
        elif role == "client":
            asyncio.run(run_client())
        else:
            print("aioquic endpoint: ROLE must be client or server", file=sys.stderr)
            return 1
    except Exception as e:  # one line, as the other endpoints report failures
        print(f"aioquic endpoint: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
