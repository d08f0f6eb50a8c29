"""The stick's Python package index, shown with the real parts: wheels the test builds itself
(tests/wheel_factory.py), the real `kit wheels add` / `kit stick build --requirements` (pip
download, per target), the kit on a real waitress server on loopback, and a real pip in a fresh
virtual environment that knows no other index (PIP_CONFIG_FILE=/dev/null, no PIP_* variables,
--no-cache-dir). No network: every index here is the test's own folder or the kit.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import kit
from tests.web_client import WebClient
from tests.wheel_factory import make_wheel

APP, LIB = "lantern-demo-app", "lantern-demo-lib"
ONE_TARGET = ("--platform", "linux-x86_64", "--python", "3.11")


def offline_pip_env(**extra) -> dict[str, str]:
    """No config file, no PIP_* variable (this machine sets PIP_FIND_LINKS): pip knows only
    what the command line tells it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "LANTERN_"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1", "PYTHONUNBUFFERED": "1", **extra}


def kit_offline(*args):
    return kit(*args, env=offline_pip_env())


@pytest.fixture
def packages(tmp_path) -> Path:
    """A folder of wheels the test built: the app depends on the library (one of two versions)."""
    folder = tmp_path / "built"
    make_wheel(folder, APP, "1.0", requires=[f"{LIB}>=1.0"],
               code='from lantern_demo_lib import greet\nVERSION = "1.0"\n')
    make_wheel(folder, LIB, "1.0", code='def greet():\n    return "old"\n')
    make_wheel(folder, LIB, "1.1", code='def greet():\n    return "hello from the kit"\n')
    return folder


def fill(packages: Path, wheelhouse: Path, *targets: str):
    requirements = packages.parent / "requirements.txt"
    requirements.write_text(f"{APP}\n")
    result = kit_offline("wheels", "add", requirements, "--wheels", wheelhouse, "--data",
                         packages.parent / "data", "--no-index", "--find-links", packages,
                         *(targets or ONE_TARGET))
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    """A new virtual environment with the pip Python bundles (ensurepip: no download)."""
    folder = tmp_path_factory.mktemp("learner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", folder], check=True, capture_output=True, timeout=120)
    return folder


def pip(venv: Path, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "python"), "-m", "pip", *map(str, args)],
                          capture_output=True, text=True, env=offline_pip_env(), timeout=180, cwd=cwd)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- filling the wheelhouse --------------------------------------------------------------------

def test_wheels_add_downloads_the_requirement_and_its_dependency_with_their_sha256(packages, tmp_path):
    wheelhouse = tmp_path / "wheels"
    result = fill(packages, wheelhouse)
    record = json.loads((wheelhouse / "wheelhouse.json").read_text())
    lib = "lantern_demo_lib-1.1-py3-none-any.whl"            # the newest that fits
    assert set(record["files"]) == {"lantern_demo_app-1.0-py3-none-any.whl", lib}
    assert record["files"][lib]["sha256"] == sha256(packages / lib) == sha256(wheelhouse / lib)
    assert record["files"][lib]["targets"] == ["linux-x86_64-cp311"]
    assert "needs the internet now" in result.stderr           # the organiser is told
    assert f"{LIB} 1.1" in result.stdout and record["missing"] == []


def test_a_bad_requirements_line_is_refused_naming_the_file_and_line(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Django~=5.2\n--extra-index-url https://example.org/simple\n")
    result = kit_offline("wheels", "add", requirements, "--wheels", tmp_path / "w", "--no-index")
    assert result.returncode != 0
    assert f"{requirements}, line 2" in result.stderr and "pip option" in result.stderr


# -- serving it: a real pip in a fresh venv, the kit as its only index -------------------------

@pytest.fixture
def kit_index(packages, tmp_path, make_settings, serve):
    wheelhouse = tmp_path / "wheels"
    fill(packages, wheelhouse)
    return serve(make_settings(wheels_dir=wheelhouse)), wheelhouse


def test_pip_in_a_fresh_venv_installs_from_the_kit_with_dependencies_and_hashes(kit_index, fresh_venv, packages,
                                                                                tmp_path):
    site, _ = kit_index
    app_wheel, lib_wheel = "lantern_demo_app-1.0-py3-none-any.whl", "lantern_demo_lib-1.1-py3-none-any.whl"
    requirements = tmp_path / "hashed.txt"          # hash-checking mode: pip must check every file
    requirements.write_text(f"{APP}==1.0 --hash=sha256:{sha256(packages / app_wheel)}\n"
                            f"{LIB}==1.1 --hash=sha256:{sha256(packages / lib_wheel)}\n")
    result = pip(fresh_venv, "install", "--no-cache-dir", "--index-url", f"{site.url}/simple/",
                 "-r", requirements)
    assert result.returncode == 0, result.stdout + result.stderr
    run = subprocess.run([str(fresh_venv / "bin" / "python"), "-c",
                          "import lantern_demo_app as a; print(a.VERSION, a.greet())"],
                         capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "1.0 hello from the kit"
    assert site.services.wheel_fetches.counts() == [(APP, 1), (LIB, 1)]   # the teacher's view


def test_pip_refuses_a_wheel_whose_hash_differs_from_the_expected(kit_index, fresh_venv, tmp_path):
    """The check above can fail: a wrong expected hash stops the install."""
    site, _ = kit_index
    requirements = tmp_path / "wrong.txt"
    requirements.write_text(f"{LIB}==1.1 --hash=sha256:{'0' * 64}\n")
    result = pip(fresh_venv, "download", "--no-cache-dir", "--no-deps", "-d", tmp_path / "got",
                 "--index-url", f"{site.url}/simple/", "-r", requirements)
    assert result.returncode != 0 and "DO NOT MATCH THE HASHES" in result.stderr


def test_a_package_the_kit_does_not_carry_fails_with_pips_own_message(kit_index, fresh_venv, tmp_path):
    site, _ = kit_index
    result = pip(fresh_venv, "download", "--no-cache-dir", "-d", tmp_path / "got",
                 "--index-url", f"{site.url}/simple/", "lantern-not-on-the-stick")
    assert result.returncode != 0
    assert "No matching distribution found for lantern-not-on-the-stick" in result.stderr
    assert WebClient(site.url).get("/simple/lantern-not-on-the-stick/").status == 404


def test_find_links_from_the_kit_works_without_any_index(kit_index, fresh_venv, tmp_path):
    site, _ = kit_index
    result = pip(fresh_venv, "download", "--no-cache-dir", "--no-index", "-d", tmp_path / "got",
                 "--find-links", f"{site.url}/wheels/", APP)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "got").iterdir()) == [
        "lantern_demo_app-1.0-py3-none-any.whl", "lantern_demo_lib-1.1-py3-none-any.whl"]


def test_the_simple_index_speaks_pep_503_html_and_pep_691_json(kit_index, packages):
    site, _ = kit_index
    browser = WebClient(site.url)
    page = browser.get(f"/simple/{LIB}/")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    lib = packages / "lantern_demo_lib-1.1-py3-none-any.whl"       # only the version resolved
    links = dict(re.findall(r'href="([^"#]+)#sha256=([0-9a-f]{64})"', page.text))
    assert links == {f"/wheels/{lib.name}": sha256(lib)}
    as_json = browser.request("GET", f"/simple/{LIB}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    assert as_json.headers["content-type"] == "application/vnd.pypi.simple.v1+json"
    assert {f["filename"]: f["hashes"]["sha256"] for f in as_json.json()["files"]} == {lib.name: sha256(lib)}
    assert sorted(re.findall(r'href="([^"]+)/"', browser.get("/simple/").text)) == [APP, LIB]
    assert browser.get("/simple/Lantern_Demo.Lib/").location.endswith(f"/simple/{LIB}/")   # PEP 503 names


def test_wheels_are_served_with_range_and_conditional_requests(kit_index, packages):
    site, _ = kit_index
    browser, name = WebClient(site.url), "lantern_demo_lib-1.1-py3-none-any.whl"
    whole = browser.get(f"/wheels/{name}")
    assert whole.status == 200 and whole.body == (packages / name).read_bytes()
    part = browser.request("GET", f"/wheels/{name}", headers={"Range": "bytes=10-19"})
    assert part.status == 206 and part.body == whole.body[10:20]
    again = browser.request("GET", f"/wheels/{name}", headers={"If-None-Match": whole.headers["etag"]})
    assert again.status == 304


def test_only_recorded_wheel_names_are_files_the_kit_sends(kit_index):
    site, wheelhouse = kit_index
    (wheelhouse / "secret.whl").write_bytes(b"not recorded")
    browser = WebClient(site.url)
    for path in ("/wheels/wheelhouse.json", "/wheels/secret.whl", "/wheels/..%2fwheelhouse.json",
                 "/wheels/%2e%2e/%2e%2e/etc/passwd", "/wheels/.download-x"):
        assert browser.get(path).status == 404, path


# -- the stick: sha256 in the manifest, verify, and a damaged wheel is never served -----------

def test_a_damaged_wheel_on_the_stick_fails_verify_and_is_not_served(packages, tmp_path, make_settings,
                                                                    serve, fresh_venv):
    from tests.test_stick import STAND_IN
    exes = tmp_path / "exes" / "linux"
    exes.mkdir(parents=True)
    (exes / "lantern").write_text(STAND_IN)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{APP}\n")
    dest, no_packs = tmp_path / "stick", tmp_path / "no-packs"
    no_packs.mkdir()
    built = kit_offline("stick", "build", dest, "--executables", tmp_path / "exes", "--data", tmp_path / "data",
                        "--content", no_packs, "--requirements", requirements,
                        "--no-index", "--find-links", packages, *ONE_TARGET)
    assert built.returncode == 0, built.stderr
    lib = "lantern_demo_lib-1.1-py3-none-any.whl"
    manifest = (dest / "MANIFEST.sha256").read_text()
    assert f"{sha256(packages / lib)}  wheels/{lib}" in manifest
    assert kit("stick", "verify", dest).returncode == 0
    damaged = bytearray((dest / "wheels" / lib).read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (dest / "wheels" / lib).write_bytes(bytes(damaged))
    verify = kit("stick", "verify", dest)                     # the fast check: wheels are always hashed
    assert verify.returncode == 1 and f"DAMAGED     wheels/{lib}" in verify.stderr
    site = serve(make_settings(wheels_dir=dest / "wheels"))
    browser = WebClient(site.url)
    assert browser.get(f"/wheels/{lib}").status == 404
    assert browser.get(f"/simple/{LIB}/").status == 404 and browser.get(f"/simple/{APP}/").status == 200
    result = pip(fresh_venv, "download", "--no-cache-dir", "-d", tmp_path / "got",
                 "--index-url", f"{site.url}/simple/", APP)
    assert result.returncode != 0 and f"No matching distribution found for {LIB}" in result.stderr


# -- per target: markers evaluated for each machine, a missing wheel reported ------------------

@pytest.fixture
def platform_packages(tmp_path) -> Path:
    folder = tmp_path / "built"
    make_wheel(folder, APP, "2.0", requires=[LIB, 'lantern-win-helper; sys_platform == "win32"',
                                             'lantern-posix-helper; sys_platform != "win32"',
                                             'lantern-old-python; python_version < "3.11"',
                                             "lantern-native"])
    for name in (LIB, "lantern-win-helper", "lantern-posix-helper", "lantern-old-python"):
        make_wheel(folder, name, "1.0")
    make_wheel(folder, "lantern-native", "1.0", tag="cp311-cp311-manylinux_2_17_x86_64")
    return folder


def fill_two_platforms(platform_packages: Path, wheelhouse: Path):
    return fill(platform_packages, wheelhouse, "--platform", "windows-x64", "--platform", "linux-x86_64",
                "--python", "3.10,3.11")


def test_marker_only_dependencies_are_found_for_each_target(platform_packages, tmp_path):
    wheelhouse = tmp_path / "wheels"
    result = fill_two_platforms(platform_packages, wheelhouse)
    record = json.loads((wheelhouse / "wheelhouse.json").read_text())
    by_target: dict[str, set[str]] = {}
    for entry in record["files"].values():
        for target in entry["targets"]:
            by_target.setdefault(target, set()).add(entry["project"])
    common = {APP, LIB}
    assert by_target["windows-x64-cp310"] == common | {"lantern-win-helper", "lantern-old-python"}
    assert by_target["windows-x64-cp311"] == common | {"lantern-win-helper"}
    assert by_target["linux-x86_64-cp310"] == common | {"lantern-posix-helper", "lantern-old-python"}
    assert by_target["linux-x86_64-cp311"] == common | {"lantern-posix-helper", "lantern-native"}
    # a package with no wheel for a target is reported, not skipped
    assert sorted((m["target"], m["requirement"], m["needed_by"]) for m in record["missing"]) == [
        (target, "lantern-native", APP) for target in ("linux-x86_64-cp310", "windows-x64-cp310", "windows-x64-cp311")]
    assert ("NO WHEEL: lantern-native (needed by lantern-demo-app) for windows-x64-cp310, windows-x64-cp311, "
            "linux-x86_64-cp310: ") in result.stdout


def test_the_setup_page_names_what_is_missing_for_which_computers(platform_packages, tmp_path, make_settings,
                                                                  serve):
    wheelhouse = tmp_path / "wheels"
    fill_two_platforms(platform_packages, wheelhouse)
    page = WebClient(serve(make_settings(wheels_dir=wheelhouse)).url).get("/setup").text
    assert ("lantern-native (needed by lantern-demo-app): none for windows-x64-cp310, windows-x64-cp311, "
            "linux-x86_64-cp310.") in page


def test_plain_pip_download_for_windows_misses_the_windows_only_dependency(platform_packages, tmp_path):
    """Why the kit resolves per target itself (pip#4304, #13262): pip evaluates the marker for
    the machine it runs on. If this starts failing, pip has changed and resolve.py can be simpler."""
    assert sys.platform != "win32"
    # lantern-native has a Linux wheel only: the Linux tag lets pip finish and show what it chose
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-index", "--find-links",
                             platform_packages, "--only-binary=:all:", "--platform", "win_amd64",
                             "--platform", "manylinux_2_17_x86_64", "--python-version", "3.11",
                             "-d", tmp_path / "got", APP], capture_output=True, text=True, env=offline_pip_env())
    assert result.returncode == 0, result.stderr
    got = {p.name.split("-")[0] for p in (tmp_path / "got").iterdir()}
    assert "lantern_posix_helper" in got and "lantern_win_helper" not in got


# -- the learner's page and the teacher's count ------------------------------------------------

def test_the_setup_page_fills_in_the_kits_address_and_lists_the_packages(kit_index):
    site, _ = kit_index
    page = WebClient(site.url).get("/setup").text
    address = site.url.split("//")[1]
    host = address.split(":")[0]
    assert (f"py -m pip install --index-url http://{address}/simple/ --trusted-host {host} {APP}") in page
    assert (f"python3 -m pip install --index-url http://{address}/simple/ --trusted-host {host} {APP}") in page
    assert f"index-url = http://{address}/simple/\ntrusted-host = {host}" in page
    assert f"<td>{LIB}</td><td>1.1</td>" in page
    assert 'href="/setup"' in WebClient(site.url).get("/join").text
    assert "/setup" in WebClient(site.url).get("/join-poster").text


def test_the_teacher_sees_how_many_computers_fetched_each_package(kit_index, fresh_venv, tmp_path):
    site, _ = kit_index
    site.services.store.set_teacher_pin("4321")
    teacher = WebClient(site.url)
    assert "No computer has fetched a package yet" in _teacher_page(teacher)
    result = pip(fresh_venv, "download", "--no-cache-dir", "-d", tmp_path / "got", "--index-url",
                 f"{site.url}/simple/", APP)
    assert result.returncode == 0, result.stderr
    page = _teacher_page(teacher)
    assert f"<td>{APP}</td><td>1</td>" in page and f"<td>{LIB}</td><td>1</td>" in page


def _teacher_page(teacher: WebClient) -> str:
    if teacher.get("/teacher").status != 200:
        assert teacher.post("/teacher/login", {"pin": "4321"}).status == 303
    return teacher.get("/teacher").text


def test_installers_the_organiser_drops_in_are_listed_with_their_sha256(packages, tmp_path, make_settings,
                                                                       serve):
    wheelhouse = tmp_path / "kit" / "wheels"
    fill(packages, wheelhouse)
    installers = tmp_path / "kit" / "installers"
    installers.mkdir()
    (installers / "python-3.12.8-amd64.exe").write_bytes(b"MZ pretend installer" * 1000)
    site = serve(make_settings(wheels_dir=wheelhouse))
    browser = WebClient(site.url)
    page = browser.get("/setup").text
    assert 'href="/installers/python-3.12.8-amd64.exe"' in page
    assert sha256(installers / "python-3.12.8-amd64.exe") in page
    got = browser.get("/installers/python-3.12.8-amd64.exe")
    assert got.status == 200 and got.body == (installers / "python-3.12.8-amd64.exe").read_bytes()
    for path in ("/installers/..%2fwheels%2fwheelhouse.json", "/installers/nothing.exe"):
        assert browser.get(path).status == 404, path


def test_a_broken_wheelhouse_record_serves_nothing_and_tells_the_teacher(packages, tmp_path, make_settings, serve):
    wheelhouse = tmp_path / "wheels"
    fill(packages, wheelhouse)
    (wheelhouse / "wheelhouse.json").write_text('{"format": 1, "files": {"x.whl": {"project": "x"}}}')
    site = serve(make_settings(wheels_dir=wheelhouse))
    browser = WebClient(site.url)
    assert browser.get(f"/simple/{APP}/").status == 404
    assert "carries no Python packages" in browser.get("/setup").text
    notices = [str(notice) for notice in site.services.notices]    # as the teacher's page says them
    assert any("No Python packages are served" in n and "wheelhouse.json" in n and "kit wheels add" in n
               for n in notices), notices


def test_a_second_requirements_file_adds_to_the_wheelhouse_for_the_same_targets(packages, tmp_path):
    wheelhouse = tmp_path / "wheels"
    fill(packages, wheelhouse, "--platform", "windows-x64", "--python", "3.12")
    make_wheel(packages, "lantern-extra", "0.5")
    more = tmp_path / "more.txt"
    more.write_text("# a second workshop\nlantern-extra==0.5  # pinned\n")
    result = kit_offline("wheels", "add", more, "--wheels", wheelhouse, "--no-index", "--find-links", packages)
    assert result.returncode == 0, result.stderr
    record = json.loads((wheelhouse / "wheelhouse.json").read_text())
    assert record["requirements"] == [APP, "lantern-extra==0.5"]
    assert record["targets"] == ["windows-x64-cp312"]
    assert {e["project"] for e in record["files"].values()} == {APP, LIB, "lantern-extra"}


def test_the_stick_plan_carries_recorded_wheels_with_their_sha256_and_the_installers(packages, tmp_path):
    from kit.stick.plan import StickPlan, add_wheelhouse
    wheelhouse = tmp_path / "data" / "wheels"
    fill(packages, wheelhouse)
    (wheelhouse / "stray-0.1-py3-none-any.whl").write_bytes(b"not recorded")     # an old download
    (tmp_path / "data" / "installers").mkdir()
    (tmp_path / "data" / "installers" / "editor.dmg").write_bytes(b"pretend editor")
    plan = StickPlan()
    add_wheelhouse(plan, wheelhouse)
    lib = "lantern_demo_lib-1.1-py3-none-any.whl"
    assert {item.target: item.sha256 for item in plan.items} == {
        f"wheels/{lib}": sha256(packages / lib),
        "wheels/lantern_demo_app-1.0-py3-none-any.whl": sha256(packages / "lantern_demo_app-1.0-py3-none-any.whl"),
        "wheels/wheelhouse.json": "", "installers/editor.dmg": ""}
    assert plan.wheels == 2
