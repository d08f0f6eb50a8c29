"""Files an MkDocs page pulls in at build time, put in at import: the tutorial's code.

Published tutorials keep their code in files of its own and include it where the page shows it:
`{!../../../docs_src/app.py!}` (markdown-include / mdx_include, relative to the extension's
`base_path`, else the folder mkdocs runs in), `--8<-- "file"`, `--8<-- "file:3:9"` and
`--8<-- "file:section"` (pymdownx.snippets, its `base_path` list), and FastAPI's
`{* ../../docs_src/app.py ln[3:9] title["main.py"] *}` (relative to that folder). Left as
written, the code never reaches the index and the raw line is shown and quoted.

What an include may read (`IncludeArea`): files under the imported folder and under the folders
up to `LEVELS_UP` above it — FastAPI's docs/en includes ../../docs_src, two folders up — but
never the disk's top folder or the home folder (or above); never an absolute path, a web
address, a hidden file or folder (.git, .env, .ssh), a link leading out of that area, a file
over `MAX_FILE_BYTES`, more than `MAX_PAGE_BYTES` into one page, or more than
`MAX_DEPTH` includes deep (a loop). A refused or missing include is an import problem naming the
page, the line and the file; the page still imports with a short note where the code was.
`kit import` copies what the pages include from outside the folder into the pack's
`OUTSIDE_FOLDER` (mkdocs.py `after_copy`), so the pack reads the same text from its copy and
from a USB stick.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.documents import ImportProblem
from kit.library.formats.book_markdown import caption_line

LEVELS_UP = 2
MAX_FILE_BYTES = 1024 * 1024
MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 8
OUTSIDE_FOLDER = "_mkdocs_outside"          # in an imported pack: files/ and place.txt
_PLACE_FILE = "place.txt"
_LEFT_OUT_FILE = "left-out.txt"    # "<area path>\t<why>" of what a copy left out

_MDX = re.compile(r"(?P<escape>\\?)\{!(?P<mode>[+\->]?)\s*(?P<name>[^|!{}]+?)\s*(?:\|\s*(?P<options>[^!]*?)\s*)?!\}")
_FASTAPI = re.compile(r"^(?P<indent>[ \t]*)\{\*\s*(?P<name>\S+)\s*(?P<options>.*?)\s*\*\}\s*$")
_SNIPPET = re.compile(r"^(?P<indent>[ \t]*)(?P<escape>;?)--8<--\s+(?P<quote>[\"'])(?P<name>.+?)(?P=quote)\s*$")
_SNIPPET_BLOCK = re.compile(r"^[ \t]*--8<--\s*$")
_SNIPPET_SECTION = re.compile(r"^\s*(?:[#;/*<!-]+\s*)?--8<-- \[(?P<end>start|end):(?P<name>[\w-]+)\]")
_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_LANGUAGES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".html": "html", ".css": "css",
              ".toml": "toml", ".json": "json", ".yml": "yaml", ".yaml": "yaml", ".sh": "bash",
              ".md": "markdown", ".sql": "sql", ".txt": ""}


@dataclass
class IncludeArea:
    """Where a source's includes may read. `place` is the source folder's path inside the
    area ("docs/en"); files of the area outside the source folder are under `outside` (the
    real folders for a source, the copies `kit import` made for an imported pack)."""
    root: Path
    place: str = ""
    outside: Path | None = None
    found: dict[str, Path] = field(default_factory=dict)   # area path -> file, what was read
    left_out: dict[str, str] = field(default_factory=dict)  # area path -> why a copy has it not

    @classmethod
    def of_source(cls, root: Path) -> IncludeArea:
        """Up to LEVELS_UP folders above `root`, but never the disk's top folder, the home
        folder or any folder above it (where an organiser's own files are)."""
        real, top = root.resolve(), root.resolve()
        home = Path.home().resolve()
        for _ in range(LEVELS_UP):
            parent = top.parent
            if parent == top or parent == Path(parent.anchor) or home.is_relative_to(parent):
                break
            top = parent
        place = real.relative_to(top).as_posix()
        return cls(root, "" if place == "." else place, top)

    @classmethod
    def of_pack(cls, root: Path) -> IncludeArea:
        """An imported pack reads its own copies; any other pack stays inside its folder."""
        place = root / OUTSIDE_FOLDER / _PLACE_FILE
        if not place.is_file():
            return cls(root)
        area = cls(root, place.read_text(encoding="utf-8").strip(), root / OUTSIDE_FOLDER / "files")
        left_out = root / OUTSIDE_FOLDER / _LEFT_OUT_FILE
        for line in left_out.read_text(encoding="utf-8").splitlines() if left_out.is_file() else []:
            target, _, why = line.partition("\t")
            area.left_out[target] = why
        return area

    def locate(self, base: str, name: str, up: int = LEVELS_UP, kind: str = "include") -> tuple[Path, str, str]:
        """The file `name` (relative to the folder `base`, itself relative to the source folder),
        its folder relative to the source folder and its path in the area; ValueError saying
        why it is refused."""
        name = name.strip().replace("\\", "/")
        if not name:
            raise ValueError("names no file")
        if _REMOTE.match(name):
            raise ValueError("is a web address: an import reads no network. Save the file beside the "
                             "pages and include it by its path")
        if name.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", name):
            raise ValueError("is an absolute path: give a path relative to the site's folder")
        place = self.place
        target = posixpath.normpath(posixpath.join(place or ".", base, name))
        parts = place.split("/") if place else []
        levels = min(up, len(parts)) if self.outside is not None else 0
        floor = "/".join(parts[:len(parts) - levels])
        if target == ".." or target.startswith("../") or (
                floor and target != floor and not target.startswith(floor + "/")):
            above = f" and up to {levels} folder{'s' if levels > 1 else ''} above it" if levels else ""
            raise ValueError(f"is outside the folders an {kind} may read (the imported folder{above})")
        if any(part.startswith(".") for part in target.split("/") if part != "."):
            raise ValueError("is in a hidden file or folder")
        if target in self.left_out:
            raise ValueError(self.left_out[target])
        inside = not place or target == place or target.startswith(place + "/")
        if inside:
            relative = target[len(place):].lstrip("/") if place else ("" if target == "." else target)
            path, boundary = self.root / relative, self.root
        else:
            path, boundary = self.outside / target, self.outside
        if path.exists() and not path.resolve().is_relative_to(boundary.resolve()):
            self.left_out[target] = "is a link to a file outside the folders an include may read"
            raise ValueError(self.left_out[target])
        self.found[target] = path
        folder = posixpath.dirname(target)
        return path, (posixpath.relpath(folder or ".", place or ".") if place else folder or "."), target

    def outside_files(self) -> dict[str, Path]:
        """What was read from outside the source folder, by its path in the area."""
        place = self.place
        return {target: path for target, path in self.found.items()
                if place and target != place and not target.startswith(place + "/")}

    def mirror(self, copy: Path) -> None:
        """Give the pack copied to `copy` the files read from outside its folder, and its place."""
        folder = copy / OUTSIDE_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        (folder / _PLACE_FILE).write_text(self.place + "\n", encoding="utf-8")
        for target, path in self.outside_files().items():
            if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
                self.left_out[target] = _too_big(path.stat().st_size)
            elif path.is_file():
                (folder / "files" / target).parent.mkdir(parents=True, exist_ok=True)
                (folder / "files" / target).write_bytes(path.read_bytes())
        (folder / _LEFT_OUT_FILE).write_text("".join(f"{target}\t{why}\n" for target, why in self.left_out.items()),
                                             encoding="utf-8")
        for path in self.found.values():          # inside, but not kept by the copy (.js)
            relative = path.relative_to(self.root) if path.is_relative_to(self.root) else None
            if (relative is not None and path.is_file() and not (copy / relative).exists()
                    and path.stat().st_size <= MAX_FILE_BYTES):
                (copy / relative).parent.mkdir(parents=True, exist_ok=True)
                (copy / relative).write_bytes(path.read_bytes())


@dataclass
class Includer:
    """Puts the included files into one page's Markdown; problems go to `problems`."""
    area: IncludeArea
    bases: dict[str, list[str]]     # "mdx" | "snippets" | "fastapi" -> folders, relative to the source
    problems: list
    page: str = ""
    _budget: int = 0

    def expand(self, text: str, page: str) -> str:
        self.page, self._budget = page, MAX_PAGE_BYTES
        return self._expand(text, [], None)

    def _expand(self, text: str, stack: list[tuple[str, str]], line_of_page: int | None) -> str:
        out, lines, position = [], text.split("\n"), 0
        while position < len(lines):
            line = lines[position]
            number = line_of_page or position + 1
            position += 1
            snippet, fastapi = _SNIPPET.match(line), _FASTAPI.match(line)
            if snippet and snippet["escape"]:
                out.append(line.replace(";--8<--", "--8<--", 1))
            elif snippet:
                out += self._indented(snippet["indent"], self._snippet(snippet["name"], stack, number))
            elif _SNIPPET_BLOCK.match(line) and "--8<--" in "".join(lines[position:position + 50]):
                while position < len(lines) and not _SNIPPET_BLOCK.match(lines[position]):
                    name = lines[position].strip()
                    if name and not name.startswith(";"):
                        out += self._snippet(name, stack, line_of_page or position + 1)
                    position += 1
                position += 1
            elif fastapi:
                out += self._indented(fastapi["indent"], self._fastapi(fastapi, stack, number))
            elif "{!" in line:
                out.append(self._mdx_line(line, stack, number))
            else:
                out.append(line)
        return "\n".join(out)

    @staticmethod
    def _indented(indent: str, lines: list[str]) -> list[str]:
        return [indent + line if line else line for line in lines]

    def _mdx_line(self, line: str, stack: list, number: int) -> str:
        alone = _MDX.fullmatch(line.strip())
        indent = line[:len(line) - len(line.lstrip())]

        def put(match):
            if match["escape"]:
                return match[0][1:]
            name, ranges = match["name"], re.search(r"\[ln:([\d\s,-]+)\]\s*$", match["name"])
            if ranges:
                name = name[:ranges.start()].strip()
            lines = _line_selection(self._read(name, "mdx", stack, number),
                                    (ranges.group(1).replace(",", " ") if ranges else ""), match["options"] or "")
            return ("\n" + indent).join(lines) if alone else "\n".join(lines)
        return _MDX.sub(put, line)

    def _snippet(self, spec: str, stack: list, number: int) -> list[str]:
        name, section, lines = spec, "", None
        match = re.match(r"^(?P<name>.+?)(?::(?P<start>-?\d*)(?::(?P<end>-?\d*))?|:(?P<section>[\w-]+))?$", spec)
        if match and not _REMOTE.match(spec):
            name, section = match["name"], match["section"] or ""
            if match["start"] is not None and (match["start"] or match["end"]):
                lines = (int(match["start"] or 1), int(match["end"]) if match["end"] else None)
        text = self._read(name, "snippets", stack, number)
        selected = text.split("\n")
        if section:
            selected = _section(selected, section)
        elif lines:
            start, end = lines
            start = start - 1 if start > 0 else max(0, len(selected) + start)
            end = end if end is None or end > 0 else len(selected) + end + 1
            selected = selected[start:end]
        return [line for line in selected if not _SNIPPET_SECTION.match(line)]

    def _fastapi(self, match, stack: list, number: int) -> list[str]:
        name, options = match["name"], match["options"]
        text = self._read(name, "fastapi", stack, number)
        ranges = re.search(r"\bln\[([\d:,\s]+)\]", options)
        lines = text.rstrip("\n").split("\n")
        if ranges:
            chosen = []
            for part in ranges.group(1).split(","):
                start, _, end = part.strip().partition(":")
                if start.strip().isdigit():
                    chosen += lines[int(start) - 1:int(end) if end.strip().isdigit() else int(start)]
            lines = chosen or lines
        title = re.search(r'\btitle\["([^"\]]*)"\]', options)
        fence = "```" + _LANGUAGES.get(Path(name).suffix.lower(), "")
        return ([caption_line(title.group(1)), ""] if title else []) + [fence, *lines, "```"]

    def _read(self, name: str, syntax: str, stack: list, number: int) -> str:
        """The included file's text (its own includes put in), or a short note where it was."""
        short = name.strip()
        through = f" (through {stack[-1][1]})" if stack else ""
        refused = ""
        for base in self.bases.get(syntax) or ["."]:
            try:
                path, _, _ = self.area.locate(base, short)
            except ValueError as why:
                refused = str(why)
                continue
            if path.is_file():
                break
        else:
            reason = refused or "is not there"
            self.problems.append(ImportProblem(self.page, f"includes '{short}'{through}, which "
                                               f"{reason}. The page shows a note in its place.", number))
            return f"[{short}: not included when this page was imported]"
        key = path.resolve().as_posix()
        size = path.stat().st_size
        trouble = ""
        if key in (seen for seen, _ in stack):
            trouble = "includes itself (a loop)"
        elif len(stack) >= MAX_DEPTH:
            trouble = f"is more than {MAX_DEPTH} includes deep"
        elif size > MAX_FILE_BYTES:
            trouble = _too_big(size)
        elif size > self._budget:
            trouble = f"would take this page over {MAX_PAGE_BYTES // 1024 // 1024} MB of included text"
        text = ""
        if not trouble:
            data = path.read_bytes()
            try:
                text = data.decode("utf-8-sig") if b"\x00" not in data[:8192] else None
            except UnicodeDecodeError:
                text = None
            if text is None:
                trouble = "is not UTF-8 text"
        if trouble:
            self.problems.append(ImportProblem(self.page, f"includes '{short}'{through}, which "
                                               f"{trouble}. The page shows a note in its place.", number))
            return f"[{short}: not included when this page was imported]"
        self._budget -= size
        text = text.replace("\r\n", "\n").rstrip("\n")
        return self._expand(text, [*stack, (key, short)], number)


def _too_big(size: int) -> str:
    return f"is {size / 1024 / 1024:.0f} MB, over the {MAX_FILE_BYTES // 1024 // 1024} MB an included file may be"


def _line_selection(text: str, ranges: str, options: str) -> list[str]:
    """mdx_include's `file[ln:1-7,9]` and `| lines=2 4-6`; other options (an encoding) change
    nothing here. `3-` runs to the end, `-5` from the start."""
    lines = text.split("\n")
    match = re.search(r"lines=([\d\s-]+)", options)
    ranges = ranges or (match.group(1) if match else "")
    if not ranges.strip():
        return lines
    chosen = []
    for part in ranges.split():
        start, dash, end = part.partition("-")
        first = int(start) - 1 if start.isdigit() else 0
        last = int(end) if end.isdigit() else (len(lines) if dash else first + 1)
        chosen += lines[max(0, first):last]
    return chosen


def _section(lines: list[str], name: str) -> list[str]:
    """The lines between `--8<-- [start:name]` and `--8<-- [end:name]`."""
    inside, chosen = False, []
    for line in lines:
        marker = _SNIPPET_SECTION.match(line)
        if marker and marker["name"] == name:
            inside = marker["end"] == "start"
            continue
        if inside:
            chosen.append(line)
    return chosen


def include_bases(config: dict, extension_options) -> dict[str, list[str]]:
    """The folders each include syntax reads from, relative to the folder of mkdocs.yml."""
    def listed(value, default):
        if isinstance(value, str) and value.strip():
            return [value.strip()]
        if isinstance(value, list):
            return [str(item) for item in value if str(item).strip()] or default
        return default
    mdx = extension_options(config, "mdx_include", "markdown_include.include", "markdown_include")
    snippets = extension_options(config, "pymdownx.snippets")
    mdx_bases = listed((mdx or {}).get("base_path"), ["."])
    return {"mdx": mdx_bases, "snippets": listed((snippets or {}).get("base_path"), ["."]),
            "fastapi": ["."] + [base for base in mdx_bases if base != "."]}
