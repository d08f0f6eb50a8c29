"""What every importer shares: the file it is handed, and the checks made before it reads."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kit.library.documents import ImportProblem
from kit.library.source_files import read_source, stored


@dataclass
class Source:
    """One file handed to an importer: its text and where it sits in the pack."""
    pack_id: str
    pack_root: Path
    path: Path               # absolute
    relpath: str             # inside the pack, '/'-separated
    text: str
    pack_titles: dict        # [titles] from pack.toml

    def title_from_pack_or_name(self) -> str:
        """The title pack.toml gives this file, else one made from its file name."""
        if self.relpath in self.pack_titles:
            return str(self.pack_titles[self.relpath])
        stem = self.path.stem.lstrip("0123456789-_ ") or self.path.stem
        return stem.replace("-", " ").replace("_", " ").strip().capitalize()


class Importer:
    """One file format. Subclasses set `suffixes` and implement `read`."""
    suffixes: tuple[str, ...] = ()

    def accepts(self, path: Path) -> bool:
        return True

    def read(self, source: Source):
        raise NotImplementedError


def read_text_file(path: Path, relpath: str, max_bytes: int) -> str:
    """The file's text, or an ImportProblem that says what is wrong and what to do. A source
    page kept gzip'd (kit/library/source_files.py) is read as its plain text."""
    size = stored(path).stat().st_size
    data = read_source(path, max_bytes + 1) if size <= max_bytes else b""
    if size > max_bytes or len(data) > max_bytes:
        size = max(size, len(data))
        mib = 1024 * 1024      # the limit is set in these units (LANTERN_MAX_FILE_MB)
        raise ImportProblem(
            relpath,
            f"the file is {size / mib:.0f} MB, over the {max_bytes / mib:.0f} MB limit. "
            "Split it into smaller files, or raise LANTERN_MAX_FILE_MB.")
    if b"\x00" in data[:8192]:
        raise ImportProblem(relpath, "this is a binary file, not text. Remove it from the pack "
                                     "or give it a name Lantern does not import.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ImportProblem(relpath, f"not valid UTF-8 (byte {error.start}). Save the file as "
                                     "UTF-8 in your editor and import again.", line=line)
