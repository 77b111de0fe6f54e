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

from aioquic.asyncio import connect, serve
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.packet import QuicProtocolVersion

# The server and client protocols are the interop endpoint's (interop/aioquic_common.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop"))
from aioquic_common import Fetcher, FileServer, alpn_list, ticket_store  # noqa: E402

VERSIONS = {"1": QuicProtocolVersion.VERSION_1, "2": QuicProtocolVersion.VERSION_2}


async def run_server(args):
    config = QuicConfiguration(
        is_client=False,
        alpn_protocols=alpn_list(args.alpn),
        supported_versions=[VERSIONS[v] for v in args.versions.split(",")],
    )
    config.load_cert_chain(args.cert, args.key)
    FileServer.root = args.www
    FileServer.log_handshakes = args.tickets
    server = await serve(
        "127.0.0.1", args.port, configuration=config, create_protocol=FileServer,
        retry=args.retry, **(ticket_store() if args.tickets else {}),
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
        origin.hostname, origin.port, configuration=config, create_protocol=Fetcher,
        wait_connected=True,
    ) as client:
        streams = {client.get(origin.netloc, urlparse(u).path): u for u in args.urls}
        await client.settle(args.timeout)
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
            if client.check(sid, url):
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
