"""Where the kit finds its folders: from a checkout, as a frozen program on a stick, and where
learners' data goes when the stick cannot be written.

The functions take the frozen flag, the executable and the folders as arguments, so each case
is checked on real folders in a temp dir. The read-only stick is made really read-only (a
read-only mount, or an immutable folder, since root ignores permission bits), or by the
stick's place being taken by a file, so the kit's write probe fails as it would on a locked
stick.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit import paths
from kit.settings import load_settings
from tests.required import missing

ROOT = Path(__file__).resolve().parent.parent


def make_program(folder: Path, name: str = "lantern") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_bytes(b"stand-in")
    return program


def test_frozen_program_in_a_lantern_folder_uses_the_stick_above_it(tmp_path):
    program = make_program(tmp_path / "STICK" / "Lantern" / "linux")
    assert paths.kit_root(frozen=True, executable=program) == tmp_path / "STICK"


def test_the_lantern_folder_is_found_whatever_its_case(tmp_path):
    program = make_program(tmp_path / "stick" / "LANTERN" / "windows", "lantern.exe")
    assert paths.kit_root(frozen=True, executable=program) == tmp_path / "stick"


def test_frozen_program_elsewhere_uses_its_own_folder(tmp_path):
    program = make_program(tmp_path / "dist" / "linux")
    assert paths.kit_root(frozen=True, executable=program) == tmp_path / "dist" / "linux"


def test_from_source_the_root_is_the_checkout_whatever_it_is_called():
    assert paths.kit_root(frozen=False, executable="/somewhere/Lantern/linux/python") == ROOT
    assert paths.resources_root() == ROOT     # not frozen: no unpack folder


def test_content_and_models_on_the_stick_win_over_what_the_program_carries(tmp_path):
    assert paths.content_dir(tmp_path) == paths.resources_root() / "content"
    assert paths.models_dir(tmp_path) is None
    (tmp_path / "content").mkdir()
    (tmp_path / "models").mkdir()
    assert paths.content_dir(tmp_path) == tmp_path / "content"
    assert paths.models_dir(tmp_path) == tmp_path / "models"


def test_the_ollama_program_for_each_os_is_found_as_its_release_archive_unpacks(tmp_path):
    assert paths.ollama_program(tmp_path, "linux") is None
    linux = make_program(tmp_path / "ollama" / "linux" / "bin", "ollama")
    windows = make_program(tmp_path / "ollama" / "windows", "ollama.exe")
    assert paths.ollama_program(tmp_path, "linux") == linux
    assert paths.ollama_program(tmp_path, "windows") == windows
    assert paths.ollama_program(tmp_path, "macos") is None


def test_os_names_match_the_stick_folders():
    assert [paths.os_name(p) for p in ("linux", "darwin", "win32")] == ["linux", "macos", "windows"]


def test_per_user_folders_follow_each_systems_convention(tmp_path):
    home = tmp_path / "home"
    assert paths.user_data_dir("linux", {}, home) == home / ".local" / "share" / "lantern"
    assert paths.user_data_dir("linux", {"XDG_DATA_HOME": "/x"}, home) == Path("/x/lantern")
    assert paths.user_data_dir("darwin", {}, home) == home / "Library" / "Application Support" / "Lantern"
    assert paths.user_data_dir("win32", {"LOCALAPPDATA": r"C:\Users\t\AppData\Local"}, home) \
        == Path(r"C:\Users\t\AppData\Local") / "Lantern"


def test_a_writable_stick_keeps_data_on_the_stick_and_the_probe_leaves_nothing(tmp_path):
    data, notice = paths.choose_data_dir(tmp_path, user_dir=tmp_path / "user")
    assert (data, notice) == (tmp_path / "data", None)
    assert list(tmp_path.iterdir()) == []          # probed, not created, nothing left behind
    (tmp_path / "data").mkdir()
    assert paths.choose_data_dir(tmp_path, user_dir=tmp_path / "user") == (tmp_path / "data", None)
    assert list((tmp_path / "data").iterdir()) == []


@pytest.fixture
def read_only_stick(tmp_path):
    """A folder no one can write to, root included (CI and this kit's test machines run as
    root): a read-only tmpfs (`mount -t tmpfs -o ro`), else a read-only bind mount of the folder
    on itself (`mount --bind` + `mount -o remount,ro,bind`), else an immutable folder
    (chattr +i); for a non-root user, permission bits are enough. Without any of these the
    tests are skipped on a developer's machine and FAIL in CI (`CI` set)."""
    stick = tmp_path / "stick"
    stick.mkdir()

    def run(*command) -> bool:
        return subprocess.run(command, capture_output=True).returncode == 0

    if os.geteuid() != 0:
        stick.chmod(0o555)
        undo = ["chmod", "755", str(stick)]
    elif run("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(stick)):
        undo = ["umount", str(stick)]
    elif run("mount", "--bind", str(stick), str(stick)):
        undo = ["umount", str(stick)]
        if not run("mount", "-o", "remount,ro,bind", str(stick)):
            subprocess.run(undo, check=True)
            undo = None
    else:
        undo = None
    if undo is None and shutil.which("chattr") and run("chattr", "+i", str(stick)):
        undo = ["chattr", "-i", str(stick)]
    if undo is None:
        message = "cannot make a folder read-only for root here (no mount, no chattr)"
        missing(message)
    try:
        probe = stick / "probe"
        with pytest.raises(OSError):              # really read-only, for root too
            probe.write_text("x")
        yield stick
    finally:
        subprocess.run(undo, check=True)


def test_a_read_only_stick_falls_back_to_the_user_folder_with_a_notice(read_only_stick, tmp_path):
    user = tmp_path / "user-data"
    data, notice = paths.choose_data_dir(read_only_stick, user_dir=user)
    assert data == user
    assert str(read_only_stick / "data") in str(notice) and str(user) in str(notice)
    assert "cannot be written" in str(notice)
    assert str(paths.data_dir_notice(root=read_only_stick, user_dir=user)) == str(notice)


def test_the_notice_is_not_shown_when_the_teacher_chose_the_data_folder(read_only_stick, tmp_path):
    user = tmp_path / "user-data"
    assert paths.data_dir_notice(tmp_path / "chosen", root=read_only_stick, user_dir=user) is None
    assert paths.data_dir_notice(user, root=read_only_stick, user_dir=user) is not None


def test_a_stick_whose_place_is_taken_by_a_file_falls_back_too(tmp_path):
    not_a_folder = tmp_path / "stick"
    not_a_folder.write_text("a file where the stick's folder should be")
    data, notice = paths.choose_data_dir(not_a_folder, user_dir=tmp_path / "user")
    assert data == tmp_path / "user" and notice


def test_settings_defaults_come_from_the_kit_root_and_env_still_wins(tmp_path):
    settings = load_settings(environ={})
    assert settings.content_dirs == (paths.content_dir(),)
    assert settings.data_dir == paths.default_data_dir()
    chosen = load_settings(environ={"LANTERN_DATA": str(tmp_path / "d"),
                                    "LANTERN_MODELS": str(tmp_path / "m")})
    assert chosen.data_dir == tmp_path / "d" and chosen.models_folder == tmp_path / "m"


def test_a_windowed_program_without_stdout_logs_to_the_data_folder(tmp_path, bundled_content):
    """sys.stdout/stderr are None in a windowed build: messages must reach data/lantern.log."""
    data = tmp_path / "data"
    script = ("import sys; sys.stdout = None; sys.stderr = None\n"
              "from kit.cli import main\n"
              f"main(['index', '--content', {str(bundled_content)!r}])\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    run = subprocess.run([sys.executable, "-c", script], env={**env, "LANTERN_DATA": str(data)},
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    log = (data / "lantern.log").read_text(encoding="utf-8")
    assert "Lantern started" in log and "added" in log
