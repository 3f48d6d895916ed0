"""Evaluate Lab 5's deployed models on the IAM substitute's test writers, beside Tesseract 5.

    python -m text_recognizer.reports.handwriting_evaluation --output ../reports/lab5_evaluation.json

One run, the same inputs for every reader:

- lines: `--lines` fresh test lines (test writers, test documents of the Brown corpus), as raw
  scans (dark ink on paper, any size); CER of the course's line predictor overall and per writer,
  and of Tesseract (`tesseract --psm 7`, one text line) on the very same images;
- pages: `--pages` test pages; the detector's box precision / recall / F1 at IoU >= 0.5 and mean
  IoU against the true boxes, the page CER of the page predictor and of Tesseract (`--psm 6`);
- speed: p50 / p95 seconds to read one line and one page on this machine;
- the training time of each deployed model (from the report saved beside its weights).

Tesseract is Debian's `tesseract-ocr`; where it is not installed its figures are skipped, and the
report says so. Every figure is on the offline IAM *substitute*, and the report says that too.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from tqdm.auto import tqdm

from text_recognizer.reports import write_report
from text_recognizer.reports.tesseract import tesseract_available, tesseract_read

SEED = 2026  # fresh lines and pages: not the cached test split the models were selected on


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50 and p95 of a list of durations, in seconds."""
    return {"p50_seconds": float(np.percentile(seconds, 50)), "p95_seconds": float(np.percentile(seconds, 95))}


def evaluate_lines(count: int, use_tesseract: bool) -> dict[str, Any]:
    """CER of the line predictor (and Tesseract) on `count` fresh raw test lines, overall and per writer."""
    from text_recognizer.data.synthetic.handwriting_writers import writers
    from text_recognizer.data.synthetic.line_rendering import render_line
    from text_recognizer.data.synthetic.sentences import TextSampler, brown_sentences
    from text_recognizer.models.metrics import character_error_rate
    from text_recognizer.predictors.handwriting_line_predictor import HandwritingLinePredictor

    rng = np.random.default_rng(SEED)
    sampler = TextSampler(brown_sentences("test"), 40)
    test_writers = writers("test")
    predictor = HandwritingLinePredictor()
    predictor.predict(np.full((40, 200), 255, np.uint8))  # build the graph before timing
    rows = []
    for i in tqdm(range(count), desc="test lines"):
        writer = test_writers[i % len(test_writers)]
        text = sampler.sample(rng)
        image = render_line(text, writer, rng, rng.uniform(22, 44))
        start = time.perf_counter()
        read, _ = predictor.predict(image)
        rows.append({"writer": writer.family, "target": text, "course": read,
                     "seconds": time.perf_counter() - start,
                     "tesseract": tesseract_read(image, 7) if use_tesseract else None})
    report: dict[str, Any] = {
        "num_lines": count,
        "course_cer": character_error_rate([r["course"] for r in rows], [r["target"] for r in rows]),
        "course_cer_per_writer": {
            w.family: character_error_rate([r["course"] for r in rows if r["writer"] == w.family],
                                           [r["target"] for r in rows if r["writer"] == w.family])
            for w in test_writers
        },
        "course_speed": percentiles([r["seconds"] for r in rows]),
        "examples": [[r["target"], r["course"], r["tesseract"]] for r in rows[:8]],
    }
    if use_tesseract:
        report["tesseract_cer"] = character_error_rate([r["tesseract"] for r in rows], [r["target"] for r in rows])
        report["tesseract_cer_per_writer"] = {
            w.family: character_error_rate([r["tesseract"] for r in rows if r["writer"] == w.family],
                                           [r["target"] for r in rows if r["writer"] == w.family])
            for w in test_writers
        }
    return report


def evaluate_pages(count: int, use_tesseract: bool) -> dict[str, Any]:
    """Detector box metrics and page CER of the page predictor (and Tesseract) on `count` test pages."""
    from text_recognizer.data.iam_pages import render_pages
    from text_recognizer.models.line_boxes import match_boxes
    from text_recognizer.models.metrics import character_error_rate
    from text_recognizer.predictors.page_predictor import PagePredictor

    predictor = PagePredictor()
    pages = render_pages("test", count, seed=SEED)
    totals = {"true_positives": 0, "num_predicted": 0, "num_target": 0}
    ious, seconds, course, tesseract, targets = [], [], [], [], []
    predictor.predict(np.full((64, 64), 255, np.uint8))
    for page in tqdm(pages, desc="test pages"):
        start = time.perf_counter()
        reading = predictor.predict(page.image)
        seconds.append(time.perf_counter() - start)
        scores = match_boxes(predictor.detect(page.image), page.boxes)
        for key in totals:
            totals[key] += scores[key]
        ious.append(scores["mean_iou"])
        course.append(reading.text)
        targets.append("\n".join(page.texts))
        if use_tesseract:
            tesseract.append(tesseract_read(page.image, 6))
    precision = totals["true_positives"] / max(1, totals["num_predicted"])
    recall = totals["true_positives"] / max(1, totals["num_target"])
    report: dict[str, Any] = {
        "num_pages": count,
        "num_lines": totals["num_target"],
        "detector_precision": precision,
        "detector_recall": recall,
        "detector_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "detector_mean_iou": float(np.mean(ious)),
        "course_page_cer": character_error_rate(course, targets),
        "course_speed": percentiles(seconds),
    }
    if use_tesseract:
        report["tesseract_page_cer"] = character_error_rate(tesseract, targets)
    return report


def training_times() -> dict[str, Any]:
    """The training time and data source of each deployed Lab 5 model, from its saved report."""
    from text_recognizer.paths import WEIGHTS_DIR

    times = {}
    for name in ("handwriting_line_model_line_crnn", "line_detector_model_line_detector"):
        path = WEIGHTS_DIR / f"{name}.json"
        report = json.loads(path.read_text()).get("report", {}) if path.is_file() else {}
        times[name] = {"train_seconds": report.get("train_seconds"),
                       # a warm-started model: its own run plus the runs it continued
                       "total_train_seconds": report.get("total_train_seconds", report.get("train_seconds")),
                       "epochs_run": report.get("epochs_run"),
                       "backend": report.get("backend"), "test": report.get("test")}
    return times


def main(
    lines: Annotated[int, typer.Option(help="Test lines (40 per test writer).")] = 280,
    pages: Annotated[int, typer.Option(help="Test pages.")] = 40,
    output: Annotated[Path | None, typer.Option(help="Write the report JSON here.")] = None,
) -> None:
    """Evaluate Lab 5's deployed models on the substitute's test writers, beside Tesseract 5."""
    from text_recognizer.environment import configure_environment

    configure_environment()
    use_tesseract = tesseract_available()
    report: dict[str, Any] = {
        "data": "IAM substitute (handwriting-font writers), test writers only; not the real IAM",
        "tesseract": "tesseract 5 (Debian tesseract-ocr)" if use_tesseract
        else "skipped: `tesseract` is not installed (apt-get install tesseract-ocr)",
        "cpu_cores": os.cpu_count(),
        "lines": evaluate_lines(lines, use_tesseract),
        "pages": evaluate_pages(pages, use_tesseract),
        "training": training_times(),
    }
    if not use_tesseract:
        print("Tesseract is not installed: its figures are skipped (apt-get install tesseract-ocr).")
    print(json.dumps(report, indent=2))
    if output:
        write_report(report, output)


if __name__ == "__main__":
    typer.run(main)
