"""A hostile page: a 1250x20000 PNG (tens of kilobytes) must not cost a worker more than 300 MB.

Before the page was shrunk first (`images/page_size.py`), it was padded to a 20000x20000 square
and processed in float32: a worker grew by 3.8 GB. The test runs the app in a fresh process, reads
one normal page (so that the models' first-call costs are paid), then the tall page, and compares
the process's peak memory while reading it with its memory before it. The peak is reset just
before the tall page (`/proc/self/clear_refs`), so a peak left by the first page cannot count.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lab_folders import LAB_DIR

BUDGET_MB = 300
MEASURE = r"""
import json, os
from pathlib import Path
from text_recognizer.environment import configure_environment
configure_environment()
from text_recognizer.api.app import create_app
from text_recognizer.reports.slow_clients import status_kb, tall_page_png

client = create_app().test_client()
normal = Path("tests/support/iam_pages/page_00.png").read_bytes()
first = client.post("/v1/predict?kind=page", data=normal, content_type="image/png")
first_peak = status_kb(os.getpid(), "VmHWM") * 1024
data = tall_page_png()
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # resets VmHWM, the peak resident size, to the current size
before = status_kb(os.getpid(), "VmRSS") * 1024
answer = client.post("/v1/predict?kind=page", data=data, content_type="image/png")
peak = status_kb(os.getpid(), "VmHWM") * 1024
print(json.dumps({"normal_status": first.status_code, "status": answer.status_code, "png_kb": len(data) / 1024,
                  "growth_mb": (peak - before) / 2**20,
                  "first_page_peak_above_before_mb": (first_peak - before) / 2**20,
                  "lines": len(answer.json.get("lines", []))}))
"""


@pytest.mark.xdist_group("lab6_big_page")
def test_a_tall_page_costs_a_worker_under_300_mb():
    run = subprocess.run([sys.executable, "-c", MEASURE], cwd=LAB_DIR, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    print(result)
    assert result["normal_status"] == 200 and result["status"] == 200, result
    assert result["growth_mb"] < BUDGET_MB, result
