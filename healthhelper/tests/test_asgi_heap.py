"""The web process's start-up heap is frozen, so the garbage collector never stalls the event loop walking it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import gc, json
import healthhelper.asgi
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}))
"""


def test_loading_the_asgi_application_leaves_the_collector_almost_nothing_to_walk() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthhelper.settings"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    heap = json.loads(out.stdout.strip().splitlines()[-1])
    assert heap["frozen"] > 50 * heap["tracked"], heap
