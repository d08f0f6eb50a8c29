"""Build the Lantern program for the OS this runs on, into build/dist/<os>/.

    python build/build.py [--onedir | --onefile] [--windowed] [--with-zim] [--dist DIR]

Run it with the Python that has the kit installed (`.venv/bin/python build/build.py`, after
`pip install -e '.[build]'`). PyInstaller cannot cross-compile: build on Windows for Windows,
on macOS for macOS, on Linux for Linux (see build/README.md). `kit stick build` then copies
every build/dist/<os>/ it finds onto the stick as Lantern/<os>/.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from kit.paths import os_name  # noqa: E402


def folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def drop_duplicate_links(folder: Path) -> int:
    """Linux onedir builds link some libraries into `_internal/` from their package folders
    (numpy.libs/, llama_cpp/lib/). Sticks are FAT or exFAT, which have no links, so each would
    be copied twice (31 MB more). The loader finds them in their package folders by RUNPATH,
    so the links go; the exe smoke test (tests/test_exe_smoke.py) runs the result."""
    dropped = 0
    for link in [p for p in folder.rglob("*") if p.is_symlink()]:
        if folder.resolve() in link.resolve().parents:
            link.unlink()
            dropped += 1
    return dropped


def build(onefile: bool = False, windowed: bool = False, dist: Path = HERE / "dist",
          work: Path = HERE / "work", with_zim: bool = False) -> Path:
    """Run PyInstaller on build/lantern.spec; return the folder holding the program."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("PyInstaller is not installed here. Run: pip install -e '.[build]' "
                         "(with the Python that has the kit installed), then build again.")
    staging = dist / ".pyinstaller"
    shutil.rmtree(staging, ignore_errors=True)
    command = [sys.executable, "-m", "PyInstaller", str(HERE / "lantern.spec"), "--noconfirm",
               "--log-level", "WARN", "--distpath", str(staging), "--workpath", str(work), "--"]
    command += ["--onefile"] if onefile else []
    command += ["--windowed"] if windowed else []
    command += ["--with-zim"] if with_zim else []
    if subprocess.run(command).returncode != 0:
        raise SystemExit("PyInstaller failed: its messages are above.")
    target = dist / os_name()
    shutil.rmtree(target, ignore_errors=True)
    built = staging / "lantern"
    if onefile:   # lantern or lantern.exe, alone in the folder
        target.mkdir(parents=True)
        for program in staging.iterdir():
            shutil.move(str(program), target / program.name)
    else:         # lantern[.exe] + _internal/
        shutil.move(str(built), target)
        if sys.platform.startswith("linux"):
            drop_duplicate_links(target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--onedir", action="store_true", help="a folder: starts fastest (default)")
    mode.add_argument("--onefile", action="store_true", help="a single file: unpacks at every start")
    parser.add_argument("--windowed", action="store_true",
                        help="no console window (Windows/macOS); messages go to data/lantern.log")
    parser.add_argument("--with-zim", action="store_true",
                        help="bundle libzim (Kiwix ZIM import). It is GPL-3.0-or-later: the program "
                             "you hand on is then covered by the GPL")
    parser.add_argument("--dist", type=Path, default=HERE / "dist",
                        help="where <os>/ is written (default build/dist)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    target = build(onefile=args.onefile, windowed=args.windowed, dist=args.dist.resolve(),
                   with_zim=args.with_zim)
    print(f"Built {'onefile' if args.onefile else 'onedir'} Lantern for {os_name()} in "
          f"{time.perf_counter() - started:.0f} s: {target} ({folder_size(target) / 1e6:.1f} MB). "
          f"Next: kit stick build DEST --executables {args.dist}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
