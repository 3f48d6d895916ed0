"""The Lab 5 evaluation command: its report, and Tesseract skipped with a message when missing."""

import json

import pytest
from commands import run_command

from text_recognizer.reports import handwriting_evaluation as evaluation


def test_percentiles():
    figures = evaluation.percentiles([0.1] * 19 + [1.0])
    assert figures["p50_seconds"] == pytest.approx(0.1) and figures["p95_seconds"] > 0.1


def test_tesseract_is_skipped_with_a_message(monkeypatch, tmp_path):
    monkeypatch.setattr(evaluation, "tesseract_available", lambda: False)
    calls = []
    monkeypatch.setattr(evaluation, "evaluate_lines", lambda count, tess: calls.append(tess) or {"n": count})
    monkeypatch.setattr(evaluation, "evaluate_pages", lambda count, tess: calls.append(tess) or {"n": count})
    output = tmp_path / "reports" / "lab5.json"
    result = run_command(evaluation.main, "--lines", 3, "--pages", 2, "--output", output)
    assert result.exit_code == 0, result.output
    report = json.loads(output.read_text())
    assert calls == [False, False] and report["tesseract"].startswith("skipped")
    assert "substitute" in report["data"] and report["lines"] == {"n": 3}
    assert "not installed" in result.output
