"""Kiwix ZIM files (Wikipedia, Stack Exchange, docs as ZIMs) as Lantern packs.

The .zim file sits in the pack's folder (so a USB stick carries it); its HTML articles become
pages, read one at a time from libzim and sanitised like any pack HTML (importers/html.py).
Images stay inside the ZIM and are served from it (zim_archive.zim_item). Search uses the
kit's own index: the ZIM's Xapian index is not used, so every pack is searched the same way.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kit.library.documents import Document, ImportProblem, slugify
from kit.library.formats.base import SourceFormat, SourceInfo
from kit.library.formats.zim_archive import has_zim_magic, open_archive, small_cluster_cache, zim_in_pack
from kit.library.importers.base import Source
from kit.library.importers.html import HtmlImporter

MAX_LISTED_PROBLEMS = 50    # a damaged ZIM could otherwise list a problem per article
MAX_FAILED_IN_A_ROW = 200   # then the rest of the file is unreadable: stop, say so
# ZIM metadata gives ISO 639-3 codes ("eng"); packs use the two-letter code where one exists.
_TWO_LETTER = {"eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "spa": "es",
               "por": "pt", "ita": "it", "nld": "nl", "dut": "nl", "rus": "ru", "zho": "zh",
               "chi": "zh", "jpn": "ja", "ara": "ar", "hin": "hi", "ben": "bn", "swa": "sw",
               "pol": "pl", "tur": "tr", "ukr": "uk", "vie": "vi", "ind": "id", "kor": "ko"}


def _metadata(archive, key: str) -> str:
    try:
        return bytes(archive.get_metadata(key)).decode("utf-8", "replace").strip() \
            if key in archive.metadata_keys else ""
    except RuntimeError:
        return ""


def pack_language(zim_language: str) -> str:
    """'eng' → 'en'; 'fra,eng' → 'fr' (the first is the main one); unknown codes stay."""
    first = zim_language.split(",")[0].strip().lower()
    return _TWO_LETTER.get(first, first) or "en"


class ZimFormat(SourceFormat):
    name = "zim"
    label = "Kiwix ZIM file"
    unit = "articles"
    reading_order = False      # pages come in address order: no previous/next between them

    def detect(self, path: Path) -> bool:
        """A file named .zim (even a broken one: describe() then says what is wrong with it),
        or any file that starts as a ZIM does."""
        return path.is_file() and (path.suffix.lower() == ".zim" or has_zim_magic(path))

    def describe(self, path: Path) -> SourceInfo:
        archive = open_archive(path, str(path))
        name = _metadata(archive, "Name")
        creator, publisher = _metadata(archive, "Creator"), _metadata(archive, "Publisher")
        return SourceInfo(
            id=slugify(name or path.stem),
            title=_metadata(archive, "Title") or name or path.stem,
            language=pack_language(_metadata(archive, "Language")),
            description=_metadata(archive, "Description"),
            licence=_metadata(archive, "License"),
            authors=[a for a in dict.fromkeys((creator, publisher)) if a],
            version=_metadata(archive, "Date"),
            documents=archive.article_count)

    def documents(self, pack, settings, problems: list[ImportProblem]) -> Iterator[Document]:
        """Each HTML article of the ZIM, in the ZIM's path order; redirects, images and other
        items are not documents. Only one article is in memory at a time."""
        zim_path = zim_in_pack(pack.root)
        if zim_path is None:
            raise ImportProblem(pack.root.name, "a ZIM pack's folder must hold exactly one .zim "
                                                "file. Import the ZIM again with `kit import FILE.zim`.")
        archive = open_archive(zim_path, zim_path.name)
        with small_cluster_cache():
            yield from _articles(archive, zim_path.name, pack, settings.max_file_bytes,
                                 _Listing(problems, zim_path.name))


class _Listing:
    """The problems of one ZIM, the first MAX_LISTED_PROBLEMS of them: a damaged ZIM could
    otherwise list one per article."""

    def __init__(self, problems: list[ImportProblem], file_name: str):
        self.problems, self.file_name, self.count = problems, file_name, 0

    def add(self, problem: ImportProblem) -> None:
        self.count += 1
        if self.count <= MAX_LISTED_PROBLEMS:
            self.problems.append(problem)
        elif self.count == MAX_LISTED_PROBLEMS + 1:
            self.problems.append(ImportProblem(self.file_name, "more articles could not be "
                                               "imported; only the first ones are listed."))


def _main_page(archive) -> str:
    """The path of the article the ZIM opens on (its main entry is usually a redirect to it)."""
    try:
        return archive.main_entry.get_item().path if archive.has_main_entry else ""
    except RuntimeError:
        return ""


def _articles(archive, file_name: str, pack, max_bytes: int, listing: _Listing) -> Iterator[Document]:
    importer, failed_in_a_row, main_page = HtmlImporter(), 0, _main_page(archive)
    # Entry ids run in path order; libzim's Python binding has no public iterator for them.
    for entry_id in range(archive.entry_count):
        try:
            entry = archive._get_entry_by_id(entry_id)
            if entry.is_redirect:
                continue
            item = entry.get_item()
            if not item.mimetype.startswith("text/html"):
                continue
            if item.size > max_bytes:
                listing.add(ImportProblem(entry.path, f"this article is {item.size:,} bytes, over "
                                          "the size limit. Raise LANTERN_MAX_FILE_MB to import it."))
                continue
            text = bytes(item.content).decode("utf-8", "replace")
            failed_in_a_row = 0
        except RuntimeError as error:     # libzim could not read it: a damaged cluster
            failed_in_a_row += 1
            listing.add(ImportProblem(file_name, f"entry {entry_id} could not be read ({error}). "
                                      "The file may be damaged: download it again."))
            if failed_in_a_row >= MAX_FAILED_IN_A_ROW:   # the indexer then keeps what it had
                raise ImportProblem(file_name, f"stopped at entry {entry_id}: the rest of the file "
                                               "cannot be read. Download it again.")
            continue
        try:
            document = importer.read(Source(pack.id, pack.root, Path(entry.path), entry.path, text, {}))
        except ImportProblem as empty:      # an article with no text
            listing.add(ImportProblem(entry.path, empty.message))
            continue
        document.title = entry.title or document.title
        document.position = entry_id
        document.relpath = entry.path
        if entry.path == main_page:
            document.meta["start"] = True     # the pack page links to it first
        yield document


FORMAT = ZimFormat()
