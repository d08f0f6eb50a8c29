"""The stick's launchers speak the computer's language (kit/stick/files/): the Linux/macOS one
is run here with each LANG; the Windows one, which cannot run here, is read for a complete set of
words per language."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parent.parent / "kit" / "stick" / "files"
# A word each language's "no program" message has, and English has not.
NO_PROGRAM = {"C.UTF-8": "This stick has no Lantern program", "fr_FR.UTF-8": "Cette clé n’a pas de programme",
              "pt_BR.UTF-8": "Este pendrive não tem", "es_ES.UTF-8": "Esta memoria USB no tiene",
              "sw_KE.UTF-8": "Flash hii haina programu", "ar_EG.UTF-8": "لا يوجد على هذه الذاكرة",
              "de_DE.UTF-8": "This stick has no Lantern program"}


@pytest.mark.parametrize("lang", NO_PROGRAM)
def test_the_shell_launcher_says_what_is_wrong_in_the_computers_language(tmp_path, lang):
    shutil.copy(FILES / "start-lantern.sh", tmp_path)
    run = subprocess.run(["sh", str(tmp_path / "start-lantern.sh")], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=30,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": lang})
    assert run.returncode == 1
    assert NO_PROGRAM[lang] in run.stdout and str(tmp_path / "Lantern" / "linux" / "lantern") in run.stdout
    assert "README.txt" in run.stdout


def test_the_windows_launcher_has_every_message_in_each_of_its_languages():
    text = (FILES / "Start Lantern.bat").read_text(encoding="utf-8")
    english = set(re.findall(r'^set "(SAY_\w+)=', text.split(":french")[0], re.M))
    assert english == {"SAY_NO_PROGRAM", "SAY_STOPPED", "SAY_SEE"}
    for label in ("french", "portuguese", "spanish", "swahili"):
        block = text.split(f"\n:{label}\n")[1].split("\n:")[0]
        assert set(re.findall(r'^set "(SAY_\w+)=', block, re.M)) == english, label
        assert not re.search(r"[()<>&|]", "".join(re.findall(r'^set "SAY_\w+=(.*)"$', block, re.M))), label
