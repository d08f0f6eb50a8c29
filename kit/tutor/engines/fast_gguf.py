"""A faster copy of a GGUF whose weights llama.cpp reads slowly on a CPU: Q4_1 becomes Q8_0.

llama.cpp has tuned CPU kernels for Q8_0 (and Q4_0) but not for Q4_1, the format SmolLM2 ships
in. Reading a 340-token prompt on 2 cores: Q4_1 1410 ms, Q8_0 825 ms; generating: 79 vs 66
tokens/s, so a whole 220-token answer takes as long, but the first word comes ~0.6 s sooner.
Q8_0 holds each Q4_1 weight to within 1/254 of its block's largest weight (Q4_1's own step is
1/15 of the block's range), so the answers stay the model's own. Q4_0 would be faster still,
but it drops Q4_1's per-block offset and changes the model.

The copy is made once (~0.5 s) next to the kit's data and reused; its name carries the source's
size and time, so a changed source gets a new copy. Written as `.part` and renamed, so a crash
never leaves a half copy that would be loaded.
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
from pathlib import Path

log = logging.getLogger(__name__)
_SLOW = re.compile(r"[.-]Q4_1(?=\.gguf$)", re.IGNORECASE)


def copy_name(source: Path) -> str | None:
    """The fast copy's file name for `source`, or None when `source` is fast already."""
    match = _SLOW.search(source.name)
    if not match:
        return None
    stat = source.stat()
    return f"{source.name[:match.start()]}.Q8_0.from-{stat.st_size}-{int(stat.st_mtime)}.gguf"


def faster_copy(source: Path, folder: Path) -> Path:
    """`source`'s Q8_0 copy in `folder`, made on first use; `source` itself when it is already
    fast or the copy cannot be made (the reason is logged, and the kit answers anyway)."""
    try:
        name = copy_name(source)
    except OSError:
        return source
    if name is None:
        return source
    target = folder / name
    if target.is_file():
        return target
    part = target.with_name(f"{name}.{os.getpid()}.part")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _quantize(source, part)
        os.replace(part, target)
    except (OSError, RuntimeError) as error:
        log.warning("Could not make a faster copy of %s in %s (%s); using it as it is.",
                    source.name, folder, error)
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        return source
    stem = name.split(".from-")[0]
    for old in folder.glob(f"{stem}.from-*.gguf"):     # copies of an older source
        if old != target:
            old.unlink(missing_ok=True)
    return target


def _quantize(source: Path, destination: Path) -> None:
    import llama_cpp
    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)   # llama.cpp's chatter
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(destination).encode(),
                                            ctypes.byref(params))
    if status != 0 or not destination.is_file():
        raise RuntimeError(f"llama.cpp's quantize returned {status}")
