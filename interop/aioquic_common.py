"""What tsquic's two aioquic (1.3) drivers share: the file server and the fetching client.

interop/aioquic-endpoint.py puts them behind the endpoint contract of run_endpoint.sh (for
`npm run interop`); test/interop/aioquic-peer.py drives them from command-line flags for the
mocha interop tests. Both run under the venv that ../shared/peers/aioquic/build.sh makes.
"""

import asyncio
import os
from urllib.parse import urlparse

from aioquic.asyncio import QuicConnectionProtocol
from aioquic.h0.connection import H0_ALPN, H0Connection
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.events import (
    ConnectionTerminated,
    HandshakeCompleted,
    StreamDataReceived,
    StreamReset,
)


def alpn_list(name):
    """The ALPN list aioquic offers for "h3" or "hq-interop"."""
    return H0_ALPN if name == "hq-interop" else H3_ALPN


def http_for(quic):
    """HTTP/0.9 or HTTP/3 by the negotiated ALPN; before the handshake (0-RTT) the first offered."""
    alpn = quic.tls.alpn_negotiated or quic.configuration.alpn_protocols[0]
    return H0Connection(quic) if alpn == "hq-interop" else H3Connection(quic)


def ticket_store():
    """serve() arguments that issue session tickets and take each back once (resumption, 0-RTT).

    A ticket this server did not issue, or already used, is no ticket, not an error.
    """
    tickets = {}
    return {
        "session_ticket_fetcher": lambda label: tickets.pop(label, None),
        "session_ticket_handler": lambda t: tickets.__setitem__(t.ticket, t),
    }


class FileServer(QuicConnectionProtocol):
    """Serves the files under `root` over HTTP/3 or hq-interop (404 for anything else).

    With `log_handshakes`, prints one line per completed handshake:
    "handshake resumed=0|1 early=0|1 early_requests=N early_qpack=N" (early: 0-RTT accepted;
    early_requests: requests whose headers arrived before the handshake completed, so in 0-RTT
    packets; early_qpack: bytes of QPACK encoder instructions that arrived then, after the
    stream type).
    """

    root = "."
    log_handshakes = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = None
        self.early_requests = 0
        self.early_qpack = 0

    def quic_event_received(self, event):
        if isinstance(event, HandshakeCompleted) and self.log_handshakes:
            resumed, early = int(event.session_resumed), int(event.early_data_accepted)
            print(
                f"handshake resumed={resumed} early={early} early_requests={self.early_requests}"
                f" early_qpack={max(0, self.early_qpack - 1)}",
                flush=True,
            )
        if self.http is None and self._quic.tls.alpn_negotiated is not None:
            self.http = http_for(self._quic)
        if self.http is None:
            return
        events = self.http.handle_event(event)
        # The peer's QPACK encoder stream (RFC 9204 §4.2) is known once its type byte was read.
        if (
            isinstance(event, StreamDataReceived)
            and not self._quic._handshake_complete
            and getattr(self.http, "_peer_encoder_stream_id", None) == event.stream_id
        ):
            self.early_qpack += len(event.data)
        for ev in events:
            if isinstance(ev, HeadersReceived):
                if not self._quic._handshake_complete:
                    self.early_requests += 1
                self.answer(ev.stream_id, dict(ev.headers).get(b":path", b"/").decode())
        self.transmit()

    def answer(self, stream_id, path):
        name = os.path.normpath(urlparse(path).path.lstrip("/"))
        file = os.path.join(self.root, name)
        if name.startswith("..") or not os.path.isfile(file):
            self.http.send_headers(stream_id, [(b":status", b"404")], end_stream=True)
            return
        with open(file, "rb") as f:
            body = f.read()
        self.http.send_headers(
            stream_id, [(b":status", b"200"), (b"content-length", str(len(body)).encode())]
        )
        self.http.send_data(stream_id, body, end_stream=True)


class Fetcher(QuicConnectionProtocol):
    """Sends GET requests on one connection and collects the responses.

    requests: stream id -> {"path", "status", "length", "body", "done", "received",
    "headers_at"} (headers_at: the stream bytes delivered when the response's header section
    could be decoded, where QPACK blocking shows). With `key_update`, the 1-RTT keys are
    updated once the first body data arrives (RFC 9001 §6: any time after the handshake is
    confirmed).
    """

    key_update = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = None
        self.requests = {}
        self.failure = None
        # Set once the results are read: the close that follows is ours, not a failure.
        self.finished = False
        self.settled = asyncio.Event()
        self.key_updated = False

    def get(self, authority, path):
        if self.http is None:
            self.http = http_for(self._quic)
        sid = self._quic.get_next_available_stream_id()
        self.requests[sid] = {
            "path": path,
            "status": None,
            "length": None,
            "body": bytearray(),
            "done": False,
            "received": 0,
            "headers_at": None,
        }
        self.http.send_headers(
            sid,
            [
                (b":method", b"GET"),
                (b":scheme", b"https"),
                (b":authority", authority.encode()),
                (b":path", path.encode()),
            ],
            end_stream=True,
        )
        self.transmit()
        return sid

    def quic_event_received(self, event):
        if isinstance(event, ConnectionTerminated):
            self.fail(f"connection closed: 0x{event.error_code:x} {event.reason_phrase}")
            return
        if isinstance(event, StreamReset):
            self.fail(f"stream {event.stream_id} reset: 0x{event.error_code:x}")
            return
        if self.http is None:
            return
        if isinstance(event, StreamDataReceived) and event.stream_id in self.requests:
            self.requests[event.stream_id]["received"] += len(event.data)
        for ev in self.http.handle_event(event):
            req = self.requests.get(ev.stream_id)
            if req is None:
                continue
            if isinstance(ev, HeadersReceived):
                if req["headers_at"] is None:
                    req["headers_at"] = req["received"]
                headers = dict(ev.headers)
                if b":status" in headers:
                    req["status"] = int(headers[b":status"])
                if b"content-length" in headers:
                    req["length"] = int(headers[b"content-length"])
            elif isinstance(ev, DataReceived):
                req["body"] += ev.data
                if ev.stream_ended:
                    req["done"] = True
                if self.key_update and not self.key_updated:
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

    async def settle(self, timeout):
        """Waits until every response is complete or the exchange failed (or `timeout` s)."""
        try:
            await asyncio.wait_for(self.settled.wait(), timeout)
        except asyncio.TimeoutError:
            self.fail(f"timed out after {timeout:g} s")

    def check(self, sid, label):
        """Records the first reason the response on `sid` is not whole; True when it is.

        HTTP/3 needs status 200; hq-interop has no status.
        """
        req = self.requests[sid]
        if self.failure is None and not req["done"]:
            self.fail(f"{label}: body incomplete")
        need_status = isinstance(self.http, H3Connection)
        if self.failure is None and need_status and req["status"] != 200:
            self.fail(f"{label}: status {req['status']}")
        if self.failure is None and req["length"] not in (None, len(req["body"])):
            self.fail(f"{label}: {len(req['body'])} of {req['length']} bytes")
        return self.failure is None
