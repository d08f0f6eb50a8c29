"""Where the embedded engine cannot run at all (every CPU variant failed its probe here), the
kit still serves every page and the search, the ask box says the tutor cannot answer on this
computer, a question gets a clear refusal, and `kit doctor` says why."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from kit.settings import load_settings
from kit.tutor.engines.cpu_variants import VariantChoice, VariantMemory, llama_lib_folder, variant_files
from tests.web_client import WebClient

CHAPTER = "/p/first-web-app/flask-workshop/01-setting-up"


def no_variant_runs_here(engine_dir) -> None:
    """The verdict the probes leave when each variant's child died (kit/tutor/engines/cpu_variants.py)."""
    memory = VariantMemory(engine_dir, llama_lib_folder())
    failed = {name: "probe died: illegal instruction (SIGILL): this CPU cannot run that code"
              for name in variant_files(llama_lib_folder())}
    memory.save(VariantChoice(memory.cpu, memory.build, failed=failed, exhausted="no CPU variant left to try"))


def test_pages_and_search_work_and_the_ask_box_says_why(serve, bundled_content, tmp_path):
    engine_dir = tmp_path / "engine"
    no_variant_runs_here(engine_dir)
    site = serve(load_settings(environ={}, content_dirs=(bundled_content,), data_dir=tmp_path / "data",
                               engine="embedded", engine_dir=engine_dir))
    site.services.tutor.warm_up().join(timeout=60)          # what kit serve does at start
    learner = WebClient(site.url)
    assert learner.post("/join", {"nickname": "Ana", "next": "/"}).status == 303
    page = learner.get(CHAPTER)
    assert page.status == 200
    assert "The tutor cannot answer on this computer" in page.text and "kit doctor" in page.text
    assert learner.get("/search?q=virtual+environment").status == 200
    question = json.dumps({"question": "How do I make a virtual environment?"}).encode()
    answer = learner.request("POST", "/api/ask", question,
                             {"Content-Type": "application/json", "X-CSRF-Token": learner.csrf_token()})
    assert answer.status == 200 and "event: error" in answer.text and "cannot" in answer.text


def test_kit_doctor_says_no_variant_runs_here(tmp_path):
    engine_dir = tmp_path / "engine"
    no_variant_runs_here(engine_dir)
    env = {**os.environ, "LANTERN_DATA": str(tmp_path / "data"), "LANTERN_ENGINE_DIR": str(engine_dir),
           "LANTERN_ENGINE": "embedded"}
    doctor = subprocess.run([sys.executable, "-m", "kit", "doctor"], capture_output=True, text=True,
                            timeout=120, env=env)
    assert doctor.returncode == 0, doctor.stderr
    assert "CANNOT ANSWER YET" in doctor.stdout
    assert "no variant passed its probe" in doctor.stdout
    assert "failed: probe died: illegal instruction" in doctor.stdout
