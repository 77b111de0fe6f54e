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

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.h0.connection import H0_ALPN, H0Connection
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, StreamReset
from aioquic.quic.logger import QuicFileLogger
from aioquic.quic.packet import QuicProtocolVersion
from aioquic.tls import CipherSuite

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


def http_for(quic):
    return H0Connection(quic) if quic.tls.alpn_negotiated == "hq-interop" else H3Connection(quic)


def base_config(is_client):
    alpn = ENV.get("ALPN") or ("h3" if TESTCASE == "http3" else "hq-interop")
    protocols = H3_ALPN if alpn == "h3" else H0_ALPN
    if not is_client:
        protocols = H3_ALPN + H0_ALPN
    config = QuicConfiguration(is_client=is_client, alpn_protocols=protocols, max_data=2**24)
    if ENV.get("SSLKEYLOGFILE"):
        config.secrets_log_file = open(ENV["SSLKEYLOGFILE"], "a")
    if ENV.get("QLOGDIR"):
        os.makedirs(ENV["QLOGDIR"], exist_ok=True)
        config.quic_logger = QuicFileLogger(ENV["QLOGDIR"])
    if TESTCASE == "chacha20":
        config.cipher_suites = [CipherSuite.CHACHA20_POLY1305_SHA256]
    return config


class ServerProtocol(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = None

    def quic_event_received(self, event):
        if self.http is None and self._quic.tls.alpn_negotiated is not None:
            self.http = http_for(self._quic)
        if self.http is None:
            return
        for ev in self.http.handle_event(event):
            if isinstance(ev, HeadersReceived):
                self.answer(ev.stream_id, dict(ev.headers).get(b":path", b"/").decode())
        self.transmit()

    def answer(self, stream_id, path):
        root = ENV.get("WWW", "/www")
        name = os.path.normpath(urlparse(path).path.lstrip("/"))
        file = os.path.join(root, name)
        if name.startswith("..") or not os.path.isfile(file):
            self.http.send_headers(stream_id, [(b":status", b"404")], end_stream=True)
            return
        with open(file, "rb") as f:
            body = f.read()
        self.http.send_headers(
            stream_id, [(b":status", b"200"), (b"content-length", str(len(body)).encode())]
        )
        self.http.send_data(stream_id, body, end_stream=True)


async def run_server():
    config = base_config(False)
    certs = ENV.get("CERTS", "/certs")
    config.load_cert_chain(os.path.join(certs, "cert.pem"), os.path.join(certs, "priv.key"))
    # v2: offer v2 first, so a v1 client listing v2 is moved to it (RFC 9368).
    config.supported_versions = [V2, V1] if TESTCASE == "v2" else [V1, V2]
    tickets = {}
    await serve(
        ENV.get("HOST", "::"), int(ENV.get("PORT", "443")), configuration=config,
        create_protocol=ServerProtocol, retry=TESTCASE == "retry",
        # A ticket this server did not issue (or already used) is no ticket, not an error.
        session_ticket_fetcher=lambda label: tickets.pop(label, None),
        session_ticket_handler=lambda t: tickets.__setitem__(t.ticket, t),
    )
    print(f"listening on {ENV.get('HOST', '::')}:{ENV.get('PORT', '443')}", flush=True)
    await asyncio.Future()


class ClientProtocol(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = None
        self.requests = {}
        self.failure = None
        self.finished = False
        self.settled = asyncio.Event()
        self.key_updated = False

    def get(self, authority, path):
        if self.http is None:
            # Before the handshake (0-RTT) the ALPN is the one offered.
            alpn = self._quic.tls.alpn_negotiated or self._quic.configuration.alpn_protocols[0]
            self.http = H0Connection(self._quic) if alpn == "hq-interop" else H3Connection(self._quic)
        sid = self._quic.get_next_available_stream_id()
        self.requests[sid] = {"status": None, "body": bytearray(), "done": False, "path": path}
        self.http.send_headers(
            sid,
            [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", authority.encode()),
             (b":path", path.encode())],
            end_stream=True,
        )
        self.transmit()

    def quic_event_received(self, event):
        if isinstance(event, ConnectionTerminated):
            self.fail(f"connection closed: 0x{event.error_code:x} {event.reason_phrase}")
            return
        if isinstance(event, StreamReset):
            self.fail(f"stream {event.stream_id} reset: 0x{event.error_code:x}")
            return
        if self.http is None:
            return
        for ev in self.http.handle_event(event):
            req = self.requests.get(ev.stream_id)
            if req is None:
                continue
            if isinstance(ev, HeadersReceived):
                status = dict(ev.headers).get(b":status")
                if status is not None:
                    req["status"] = int(status)
            elif isinstance(ev, DataReceived):
                req["body"] += ev.data
                if ev.stream_ended:
                    req["done"] = True
                if TESTCASE == "keyupdate" and not self.key_updated:
                    # RFC 9001 §6: any time after the handshake is confirmed.
                    try:
                        self._quic.request_key_update()
                        self.key_updated = True
                    except Exception:
                        pass
        if all(r["done"] for r in self.requests.values()):
            self.settled.set()

    def fail(self, why):
        if self.failure is None and not self.finished:
            self.failure = why
        self.settled.set()


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
    async with connect(
        origin.hostname, origin.port or 443, configuration=config, create_protocol=ClientProtocol,
        session_ticket_handler=tickets.append, wait_connected=not early,
    ) as client:
        for u in urls:
            client.get(origin.netloc, urlparse(u).path)
        try:
            await asyncio.wait_for(client.settled.wait(), 60)
        except asyncio.TimeoutError:
            client.fail("timed out after 60 s")
        out = ENV.get("DOWNLOADS", "/downloads")
        for req in client.requests.values():
            if client.failure is None and not req["done"]:
                client.fail(f"{req['path']}: body incomplete")
            if client.failure is None and req["status"] not in (None, 200):
                client.fail(f"{req['path']}: status {req['status']}")
            if client.failure is None:
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
