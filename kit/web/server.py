"""Serving the app with waitress (never Flask's development server), and the addresses
learners open: this machine's LAN addresses and the kit's URLs on them."""
from __future__ import annotations

import logging
import socket
import sys

from flask import current_app, request
from waitress.server import create_server


def make_server(app, host: str, port: int, threads: int, max_request_kb: int):
    """A waitress server bound to `host` (loopback unless the teacher asked for the LAN).
    Threads are sized by the settings so long answers never starve page requests."""
    # waitress warns "Task queue depth is N" for each request that waits for a free thread: at
    # 50 connections about 260 lines a second, written by the one thread that reads every request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # waitress's own limit sits a little above the app's (MAX_CONTENT_LENGTH): a body just over
    # the limit then reaches Flask, which answers with a page that says what to do, instead of
    # waitress's bare text; anything far bigger is still cut off by waitress before the app.
    return create_server(app, host=host, port=port, threads=threads, ident="Lantern",
                         max_request_body_size=(max_request_kb + 64) * 1024,
                         channel_timeout=120, clear_untrusted_proxy_headers=True)


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback. On Linux they are read from the
    interfaces (a local kernel query); elsewhere from resolving the machine's own name."""
    addresses: set[str] = set()
    if not sys.platform.startswith("linux"):
        try:   # elsewhere: the addresses the system resolves its own name to
            for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
                addresses.add(info[4][0])
        except OSError:
            pass
    else:
        import fcntl
        import struct
        for _, name in socket.if_nameindex():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:   # SIOCGIFADDR: the interface's own address, a local kernel query
                    packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))
                except OSError:
                    continue
                addresses.add(socket.inet_ntoa(packed[20:24]))
    return sorted(a for a in addresses if not a.startswith("127."))


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def loopback_only() -> bool:
    """Is the kit listening on this computer only (no `--lan`)? Then other devices cannot reach it."""
    return current_app.config["LANTERN"].host in LOOPBACK_HOSTS


def kit_urls() -> list[str]:
    """http://<address>:<port>/ for each LAN address, on the port this request came in on;
    with no network at all, the address this browser used."""
    port = request.environ.get("SERVER_PORT") or str(request.host.rpartition(":")[2] or 80)
    return [f"http://{address}:{port}/" for address in lan_addresses()] or [request.host_url]
