"""Gzip a page made of parts, compressing the shared parts only once.

A deflate stream may be a run of independently compressed pieces, each ended with a sync flush
(byte-aligned, not final): back-references stay inside their own piece, which is always valid.
So a cached page's text is deflated once when it is cached; per request only the small
per-learner parts are deflated, and the pieces are joined behind one gzip header with the
CRC-32 and length of the whole (RFC 1952). Browsers see one ordinary gzip stream.
"""
from __future__ import annotations

import struct
import zlib

_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"   # deflate, no name, no mtime, OS unknown
_LAST_BLOCK = zlib.compressobj(wbits=-15).flush()        # an empty final block: b"\x03\x00"
LEVEL = 6


def deflate_piece(data: bytes, level: int = LEVEL) -> bytes:
    """`data` as a raw deflate piece that can be followed by others."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def gzip_join(pieces: list[tuple[bytes, bytes]]) -> bytes:
    """One gzip stream from (raw bytes, deflate_piece(raw bytes)) pairs, in order."""
    crc, size, body = 0, 0, [_HEADER]
    for raw, deflated in pieces:
        crc = zlib.crc32(raw, crc)
        size += len(raw)
        body.append(deflated)
    body += [_LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
    return b"".join(body)


def accepts_gzip(request) -> bool:
    """Whether the browser asked for gzip (and did not refuse it with q=0)."""
    return request.accept_encodings["gzip"] > 0
