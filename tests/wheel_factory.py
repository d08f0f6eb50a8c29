"""Small packages built into real wheels by the tests themselves (PEP 427: a zip with the
package, `*.dist-info/METADATA`, `WHEEL` and a `RECORD` of sha256s), so the index tests need
no network and no build backend: pip installs these like any wheel from PyPI."""
from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(folder: Path, name: str, version: str, requires: list[str] = (),
               tag: str = "py3-none-any", code: str | None = None, requires_python: str = "",
               padding_bytes: int = 0) -> Path:
    """Build `name-version-tag.whl` in `folder`: one module `<name>.py` (importable as the name
    with - → _) whose VERSION is `version`, depending on `requires`. `padding_bytes` of random
    data make a wheel of a given size (benches)."""
    import os
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Python: {requires_python}"] if requires_python else []
    metadata += [f"Requires-Dist: {line}" for line in requires]
    files = {f"{module}.py": (code or f'VERSION = "{version}"\n').encode(),
             f"{dist_info}/METADATA": ("\n".join(metadata) + "\n").encode(),
             f"{dist_info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: lantern-tests\n"
                                    f"Root-Is-Purelib: {'true' if tag.endswith('-none-any') else 'false'}\n"
                                    f"Tag: {tag}\n").encode()}
    if padding_bytes:
        files[f"{module}_data.bin"] = os.urandom(padding_bytes)
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return path
