"""Finding content packs on disk and reading their `pack.toml` (see docs/packs.md)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.documents import ImportProblem, slugify
from kit.library.importers import importer_for

REQUIRED_FIELDS = {"title": str, "description": str, "language": str, "licence": str,
                   "authors": list, "version": str}
META_FILES = {"pack.toml", "workshop.toml"}
# Files a pack may serve as-is (images in chapters, media); anything else is not served.
ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".pdf", ".mp3",
                  ".ogg", ".mp4", ".webm"}


@dataclass
class Pack:
    id: str
    root: Path
    title: str
    description: str
    language: str
    licence: str
    authors: list[str]
    version: str
    titles: dict = field(default_factory=dict)
    format: str = ""         # "" = Lantern's own format; else a published-source format's name


def read_toml(path: Path, shown_as: str) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ImportProblem(shown_as, "not valid UTF-8. Save it as UTF-8.")
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        raise ImportProblem(shown_as, f"not valid TOML ({error}). Fix the line.", line)


def load_pack(root: Path) -> Pack:
    """The pack in `root`, or an ImportProblem naming the missing or mistyped field."""
    pack_id = slugify(root.name)
    shown_as = "pack.toml"   # problems are listed under their pack: the path inside it
    if not (root / "pack.toml").is_file():
        raise ImportProblem(shown_as, "missing. Every pack needs a pack.toml with title, "
                                      "description, language, licence, authors and version.")
    data = read_toml(root / "pack.toml", shown_as)
    for name, kind in REQUIRED_FIELDS.items():
        if name not in data:
            example = '["Your Name"]' if kind is list else '"…"'
            raise ImportProblem(shown_as, f"field '{name}' is missing. Add a line like: "
                                          f"{name} = {example}")
        if not isinstance(data[name], kind) or (kind is list and not all(isinstance(a, str) for a in data[name])):
            wanted = "a list of names in quotes" if kind is list else "text in quotes"
            raise ImportProblem(shown_as, f"field '{name}' must be {wanted}.")
    titles = data.get("titles", {})
    if not isinstance(titles, dict):
        raise ImportProblem(shown_as, "'[titles]' must be a table of \"file\" = \"Title\" lines.")
    source_format = data.get("format", "")
    if not isinstance(source_format, str):
        raise ImportProblem(shown_as, "field 'format' must be text in quotes, like format = \"honkit\".")
    return Pack(id=pack_id, root=root, titles=titles, format=source_format,
                **{name: data[name] for name in REQUIRED_FIELDS})


def candidate_pack_roots(pack_dirs) -> list[Path]:
    """Every folder that should be a pack: each visible sub-folder of a content folder."""
    roots = []
    for folder in pack_dirs:
        if not folder.is_dir():
            continue
        for child in sorted(folder.iterdir()):
            if child.is_dir() and not child.name.startswith((".", "_")):
                roots.append(child)
    return roots


def document_files(pack: Pack) -> list[tuple[Path, str]]:
    """(path, '/'-separated path inside the pack) of every file an importer reads."""
    return [(path, path.relative_to(pack.root).as_posix()) for path in sorted(pack.root.rglob("*"))
            if _is_document(path, path.relative_to(pack.root))]


def _is_document(path: Path, relative: Path) -> bool:
    # '.hidden' and '_build'-style folders (Sphinx's _sources, _static) are not documents
    if any(part.startswith((".", "_")) for part in relative.parts) or path.name in META_FILES:
        return False
    return path.is_file() and importer_for(path) is not None


def workshop_title(pack: Pack, folder: str) -> tuple[str, str]:
    """(title, description) of the workshop in `folder`, from its workshop.toml if any."""
    info_file = pack.root / folder / "workshop.toml"
    info = read_toml(info_file, f"{folder}/workshop.toml".lstrip("/")) if info_file.is_file() else {}
    fallback = (Path(folder).name or pack.title).replace("-", " ").capitalize()
    return str(info.get("title", fallback)), str(info.get("description", ""))
