"""A small aioquic peer for tsquic's interop tests (test/interop/aioquic.test.ts).

server: serves a directory over HTTP/3 or hq-interop; prints "listening on 127.0.0.1:PORT".
        With --tickets it issues session tickets (resumption, 0-RTT) and prints one line per
        connection that completed: "handshake resumed=0|1 early=0|1 early_requests=N
        early_qpack=N" (early: 0-RTT accepted; early_requests: requests whose headers arrived
        before the handshake completed, so in 0-RTT packets; early_qpack: bytes of QPACK
        encoder instructions that arrived then, after the stream type).
client: fetches URLs of one origin concurrently on one connection, writes each body to --out,
        prints one JSON line {"version", "alpn", "files", "headers_at"} and exits 0 only when every body
        arrived whole (h3: status 200 and, when given, content-length matched); otherwise one
        line on stderr and exit 1. headers_at: per file, the stream bytes QUIC had delivered
        when the response's header section could be decoded (QPACK blocking shows here).

Runs under the venv that ../shared/peers/aioquic/build.sh makes (aioquic 1.3.0).
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
from urllib.parse import urlparse

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.h0.connection import H0_ALPN, H0Connection
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import (
    ConnectionTerminated,
    HandshakeCompleted,
    StreamDataReceived,
    StreamReset,
)
from aioquic.quic.packet import QuicProtocolVersion

VERSIONS = {"1": QuicProtocolVersion.VERSION_1, "2": QuicProtocolVersion.VERSION_2}


def alpn_list(name):
    return H0_ALPN if name == "hq-interop" else H3_ALPN


def http_for(quic):
    return H0Connection(quic) if quic.tls.alpn_negotiated == "hq-interop" else H3Connection(quic)


class ServerProtocol(QuicConnectionProtocol):
    root = "."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = None
        self.early_requests = 0
        self.early_qpack = 0

    def quic_event_received(self, event):
        if isinstance(event, HandshakeCompleted):
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
        name = os.path.normpath(path.lstrip("/"))
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


class ClientProtocol(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = None
        self.requests = {}  # stream id -> {"status", "length", "body", "done"}
        self.failure = None
        # Set once the results are read: the close that follows is ours, not a failure.
        self.finished = False
        self.settled = asyncio.Event()

    def get(self, authority, path):
        if self.http is None:
            self.http = http_for(self._quic)
        sid = self._quic.get_next_available_stream_id()
        self.requests[sid] = {
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
            self.fail(f"connection closed by the server: 0x{event.error_code:x} {event.reason_phrase}")
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
            if isinstance(ev, HeadersReceived) and req["headers_at"] is None:
                req["headers_at"] = req["received"]
            if isinstance(ev, HeadersReceived):
                headers = dict(ev.headers)
                if b":status" in headers:
                    req["status"] = int(headers[b":status"])
                if b"content-length" in headers:
                    req["length"] = int(headers[b"content-length"])
            elif isinstance(ev, DataReceived):
                req["body"] += ev.data
                if ev.stream_ended:
                    req["done"] = True
        if all(r["done"] for r in self.requests.values()):
            self.settled.set()

    def fail(self, why):
        if self.failure is None and not self.finished:
            self.failure = why
        self.settled.set()


async def run_server(args):
    config = QuicConfiguration(
        is_client=False,
        alpn_protocols=alpn_list(args.alpn),
        supported_versions=[VERSIONS[v] for v in args.versions.split(",")],
    )
    config.load_cert_chain(args.cert, args.key)
    ServerProtocol.root = args.www
    tickets = {}
    ticket_options = (
        {
            "session_ticket_fetcher": lambda label: tickets.pop(label, None),
            "session_ticket_handler": lambda t: tickets.__setitem__(t.ticket, t),
        }
        if args.tickets
        else {}
    )
    server = await serve(
        "127.0.0.1", args.port, configuration=config, create_protocol=ServerProtocol,
        retry=args.retry, **ticket_options,
    )
    port = server._transport.get_extra_info("sockname")[1]
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await asyncio.Future()


async def run_client(args):
    origin = urlparse(args.urls[0])
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=alpn_list(args.alpn),
        supported_versions=[VERSIONS[v] for v in args.versions.split(",")],
        server_name=origin.hostname,
    )
    if args.original_version is not None:
        config.original_version = VERSIONS[args.original_version]
    if args.ca is not None:
        config.load_verify_locations(args.ca)
    else:
        config.verify_mode = ssl.CERT_NONE
    async with connect(
        origin.hostname, origin.port, configuration=config, create_protocol=ClientProtocol,
        wait_connected=True,
    ) as client:
        streams = {client.get(origin.netloc, urlparse(u).path): u for u in args.urls}
        try:
            await asyncio.wait_for(client.settled.wait(), args.timeout)
        except asyncio.TimeoutError:
            client.fail(f"timed out after {args.timeout} s")
        quic = client._quic
        result = {
            "version": quic._version,
            "alpn": quic.tls.alpn_negotiated,
            "files": [],
            "headers_at": {},
        }
        for sid, url in streams.items():
            req = client.requests[sid]
            name = os.path.basename(urlparse(url).path)
            if client.failure is None and not req["done"]:
                client.fail(f"{url}: body incomplete")
            if client.failure is None and args.alpn != "hq-interop" and req["status"] != 200:
                client.fail(f"{url}: status {req['status']}")
            if client.failure is None and req["length"] not in (None, len(req["body"])):
                client.fail(f"{url}: {len(req['body'])} of {req['length']} bytes")
            if client.failure is None:
                with open(os.path.join(args.out, name), "wb") as f:
                    f.write(req["body"])
                result["files"].append(name)
                result["headers_at"][name] = req["headers_at"]
        client.finished = True
        client.close()
    if client.failure is not None:
        print(f"aioquic client: {client.failure}", file=sys.stderr)
        return 1
    print(json.dumps(result), flush=True)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    s = sub.add_parser("server")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--www", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--alpn", default="h3")
    s.add_argument("--versions", default="1,2")
    s.add_argument("--retry", action="store_true")
    s.add_argument("--tickets", action="store_true")
    c = sub.add_parser("client")
    c.add_argument("--out", required=True)
    c.add_argument("--ca")
    c.add_argument("--alpn", default="h3")
    c.add_argument("--versions", default="1")
    c.add_argument("--original-version")
    c.add_argument("--timeout", type=float, default=15)
    c.add_argument("urls", nargs="+")
    args = p.parse_args()
    if args.role == "server":
        asyncio.run(run_server(args))
        return 0
    return asyncio.run(run_client(args))


if __name__ == "__main__":
    sys.exit(main())
