"""Tune the line decoder's language-model weight and character bonus on the validation writers.

    python -m text_recognizer.reports.decoder_tuning --output ../reports/lab5_decoder_tuning.json

The deployed handwriting line model reads the validation lines once; each (alpha, beta) of a
small grid then decodes the same logits with `models/lm_beam_search.py`. It prints the CER of
greedy decoding, plain beam search and every grid point, and writes them as JSON. Only
validation writers and validation documents are used: the test writers stay unseen until
`reports/handwriting_evaluation` reports on them.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from tqdm import tqdm

from text_recognizer.reports import write_report

ALPHAS = (0.0, 0.3, 0.5, 0.7, 1.0)
BETAS = (0.0, 0.5, 1.0, 1.5, 2.5)


def validation_logits(count: int) -> tuple[Any, list[np.ndarray], list[str]]:
    """The deployed model, its logits for `count` validation lines (padding cut off), their texts."""
    from text_recognizer.data.character_mapping import indices_to_text
    from text_recognizer.data.iam_lines import IamLines
    from text_recognizer.predictors.handwriting_line_predictor import HandwritingLinePredictor

    model = HandwritingLinePredictor().model
    x_val, y_val = IamLines(num_train=0, num_val=count, num_test=0).load().get("val")
    logits = model.predict_logits(x_val, batch_size=64)
    texts = [indices_to_text(row, model.mapping) for row in y_val]
    return model, list(logits), texts


def tune(count: int) -> dict[str, Any]:
    """CER of greedy, beam and LM beam search over the grid, on `count` validation lines."""
    from text_recognizer.models.line_model_ctc import ctc_decode_logits
    from text_recognizer.models.metrics import character_error_rate

    model, logits, texts = validation_logits(count)
    lm = model.language_model()
    stacked = np.stack(logits)
    report: dict[str, Any] = {
        "data": "IAM substitute validation writers and documents (not the test writers)",
        "num_lines": count,
        "language_model": {"order": lm.order, "trained_on": "Brown corpus train documents"},
        "greedy_cer": character_error_rate([t for t, _ in ctc_decode_logits(stacked, model.mapping, "greedy")], texts),
        "beam_cer": character_error_rate(
            [t for t, _ in ctc_decode_logits(stacked, model.mapping, "beam_search", model.beam_width)], texts),
        "grid": [],
    }
    for alpha, beta in tqdm(list(itertools.product(ALPHAS, BETAS)), desc="alpha, beta"):
        start = time.perf_counter()
        read = [model.decode_with_language_model(line, alpha, beta)[0] for line in logits]
        report["grid"].append({"alpha": alpha, "beta": beta, "cer": character_error_rate(read, texts),
                               "seconds_per_line": (time.perf_counter() - start) / len(logits)})
    report["best"] = min(report["grid"], key=lambda point: point["cer"])
    return report


def main(
    lines: Annotated[int, typer.Option(help="Validation lines to decode.")] = 500,
    output: Annotated[Path | None, typer.Option(help="Write the report JSON here.")] = None,
) -> None:
    """Tune the line decoder's language-model weight and character bonus on the validation writers."""
    from text_recognizer.environment import configure_environment

    configure_environment()
    report = tune(lines)
    print(f"greedy CER {report['greedy_cer']:.4f}   beam CER {report['beam_cer']:.4f}")
    for point in report["grid"]:
        print(f"alpha {point['alpha']:.1f}  beta {point['beta']:.1f}  CER {point['cer']:.4f}  "
              f"{1000 * point['seconds_per_line']:.0f} ms/line")
    best = report["best"]
    print(f"best: alpha {best['alpha']}, beta {best['beta']}, CER {best['cer']:.4f}")
    if output:
        print(f"wrote {write_report(report, output)}")


if __name__ == "__main__":
    typer.run(main)
