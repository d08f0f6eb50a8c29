"""One folder for the whole test run to remember the CPU variant the probe chose
(kit/tutor/engines/cpu_variants.py), so the suite probes once and shares one model worker.
Tests about probing and crashes pass a folder of their own."""
import tempfile
from pathlib import Path

SHARED_ENGINE_DIR = Path(tempfile.mkdtemp(prefix="lantern-test-engine-"))
