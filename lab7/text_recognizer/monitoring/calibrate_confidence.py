"""Calibrate the deployed line readers' confidence on validation lines; choose the low-confidence alarm.

    python -m text_recognizer.monitoring.calibrate_confidence --output ../reports/lab7_confidence.json

For each deployed line reader, the Lab 3 line model (greedy decoding: the API's lines, the Lambda
function, the monitor) and the Lab 5 handwriting model (language-model beam search: the API's
pages), it reads `--lines` validation lines (validation characters and Brown validation text; the
IAM substitute's validation writers), never test data:

1. the raw confidence of each line (`models/confidence.py`: mean per-character posterior) and its
   accuracy, the share of its characters read right (1 - its CER, at least 0);
2. an isotonic fit from confidence to accuracy on one half of the lines (`scipy.optimize.
   isotonic_regression`), written beside the weights (`<weights>_calibration.json`);
3. the expected calibration error (ECE) on the other, held-out half, before and after.

Then the alarm: the Lab 3 reader's calibrated confidences of the validation lines, drawn into many
windows of `monitor.WINDOW` requests, give the threshold (a window mean that normal traffic goes
below in `ALARM_QUANTILE` of windows); its false-alarm rate is then measured on the monitor's
in-distribution stream (other lines), and its alert rate on each drifted stream. Writes the report
JSON and a reliability diagram PNG beside it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from text_recognizer.models.confidence import Calibration, calibration_path, weights_sha256

BINS = 10
"""Equal-width confidence bins of the expected calibration error and the reliability diagram."""
SPLIT_SEED = 0
ALARM_QUANTILE = 0.001
"""Share of in-distribution windows allowed under the threshold on the validation lines."""
ALARM_DRAWS = 20_000
ALARM_REPLAY = 10_000
"""Requests replayed per stream to measure the alarm's alert rate (991 windows: about 100 that do not overlap)."""
TARGET_ECE = 0.05


def line_accuracy(prediction: str, target: str) -> float:
    """The share of a line's characters read right: 1 - its character error rate, at least 0."""
    from text_recognizer.models.metrics import edit_distance

    if not target:
        return 1.0 if not prediction else 0.0
    return max(0.0, 1.0 - edit_distance(prediction, target) / len(target))


def expected_calibration_error(confidence: Sequence[float], accuracy: Sequence[float], bins: int = BINS) -> float:
    """Sum over equal-width confidence bins of (share of lines) x |mean confidence - mean accuracy|."""
    confidence, accuracy = np.asarray(confidence, float), np.asarray(accuracy, float)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum(np.mean(which == b) * abs(confidence[which == b].mean() - accuracy[which == b].mean())
                     for b in range(bins) if np.any(which == b)))


def reliability(confidence: Sequence[float], accuracy: Sequence[float], bins: int = BINS) -> list[dict[str, float]]:
    """Per non-empty bin: its range, number of lines, mean confidence and mean accuracy."""
    confidence, accuracy = np.asarray(confidence, float), np.asarray(accuracy, float)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return [{"low": b / bins, "high": (b + 1) / bins, "lines": int(np.sum(which == b)),
             "confidence": float(confidence[which == b].mean()), "accuracy": float(accuracy[which == b].mean())}
            for b in range(bins) if np.any(which == b)]


def fit_calibration(confidence: Sequence[float], accuracy: Sequence[float]) -> Calibration:
    """The isotonic (monotone, least-squares) map from raw confidence to accuracy, as knots."""
    from scipy.optimize import isotonic_regression

    order = np.argsort(confidence, kind="stable")
    raw = np.asarray(confidence, float)[order]
    fitted = isotonic_regression(np.asarray(accuracy, float)[order]).x
    # One knot per distinct fitted level: its lowest and highest raw confidence.
    keep = np.ones(len(raw), bool)
    keep[1:-1] = (fitted[1:-1] != fitted[:-2]) | (fitted[1:-1] != fitted[2:])
    raw, fitted = raw[keep], fitted[keep]
    raw = raw + np.arange(len(raw)) * 1e-9  # strictly increasing knots for np.interp
    return Calibration(tuple(float(v) for v in raw), tuple(float(v) for v in fitted))


def read_lines(kind: str, count: int, seed: int | None = None) -> dict[str, Any]:
    """Read `count` validation lines with the deployed reader `kind` ("line" or "handwriting").

    Returns the lines' texts, readings, raw confidences, accuracies, and the reader's config path,
    decoding strategy and stored calibration. `seed` picks other lines (the "line" reader only).
    """
    from text_recognizer.data.character_mapping import indices_to_text

    if kind == "line":
        from text_recognizer.monitoring.streams import REFERENCE_SEED, emnist_lines
        from text_recognizer.predictors.line_predictor import LinePredictor

        predictor, strategy, seed = LinePredictor(), "greedy", REFERENCE_SEED if seed is None else seed
        images, texts = emnist_lines(count, seed)
        data = f"{count} validation lines of the EMNIST-lines substitute, seed {seed}"
    else:
        from text_recognizer.data.iam_lines import IamLines
        from text_recognizer.predictors.handwriting_line_predictor import HandwritingLinePredictor

        predictor = HandwritingLinePredictor()
        strategy = predictor.model.reading_strategy
        images, labels = IamLines(num_train=0, num_val=count, num_test=0).load().get("val")
        texts = [indices_to_text(row, predictor.model.mapping) for row in labels]
        data = f"{count} lines of the IAM substitute's validation writers and documents"
    model = predictor.model
    readings = model.decode_logits(model.predict_logits(np.asarray(images), batch_size=64), strategy)
    return {"config": predictor.default_config, "strategy": strategy, "data": data, "texts": texts,
            "calibration": predictor.calibration,
            "readings": [text for text, _ in readings], "confidence": np.array([c for _, c in readings]),
            "accuracy": np.array([line_accuracy(text, truth) for (text, _), truth in zip(readings, texts,
                                                                                          strict=True)])}


def calibrate(kind: str, count: int) -> tuple[dict[str, Any], Calibration, dict[str, Any]]:
    """Read, fit on one half, measure on the other: (report section, calibration, the lines read)."""
    lines = read_lines(kind, count)
    order = np.random.default_rng(SPLIT_SEED).permutation(count)
    fit, held_out = order[: count // 2], order[count // 2 :]
    calibration = fit_calibration(lines["confidence"][fit], lines["accuracy"][fit])
    raw = lines["confidence"][held_out]
    section = {"model": Path(lines["config"]).name.removesuffix(".json"), "strategy": lines["strategy"],
               "data": lines["data"], "fit_lines": len(fit),
               **measure(raw, [calibration(c) for c in raw], lines["accuracy"][held_out]),
               "confidence_vs_length": length_correlation(lines)}
    lines["calibrated"] = np.array([calibration(c) for c in lines["confidence"]])
    return section, calibration, lines


def measure(raw: Sequence[float], calibrated: Sequence[float], accuracy: Sequence[float]) -> dict[str, Any]:
    """ECE and reliability bins of held-out lines' raw and calibrated confidences."""
    return {"held_out_lines": len(accuracy), "mean_accuracy_held_out": float(np.mean(accuracy)),
            "ece_before": expected_calibration_error(raw, accuracy),
            "ece_after": expected_calibration_error(calibrated, accuracy),
            "reliability_before": reliability(raw, accuracy), "reliability_after": reliability(calibrated, accuracy)}


def length_correlation(lines: dict[str, Any]) -> dict[str, float]:
    """Spearman correlation of confidence and of accuracy with the line's length (near 0: no shrinking)."""
    from scipy.stats import spearmanr

    lengths = [len(text) for text in lines["texts"]]
    return {"confidence": float(spearmanr(lengths, lines["confidence"]).statistic),
            "accuracy": float(spearmanr(lengths, lines["accuracy"]).statistic)}


def write_calibration(config_path: Path, strategy: str, calibration: Calibration, extra: dict[str, Any]) -> Path:
    """Store `calibration` for `strategy` beside the weights (keeping other strategies' fits)."""
    path = calibration_path(config_path)
    stored = json.loads(path.read_text()) if path.is_file() else {}
    strategies = stored.get("strategies", {}) if stored.get("weights_sha256") == weights_sha256(config_path) else {}
    strategies[strategy] = {**calibration.as_json(), **extra}
    stored = {"weights_sha256": weights_sha256(config_path), "created": datetime.now(UTC).isoformat(timespec="seconds"),
              "maps": "raw confidence (mean per-character posterior) -> expected share of characters read right",
              "made_by": "python -m text_recognizer.monitoring.calibrate_confidence", "strategies": strategies}
    path.write_text(json.dumps(stored, indent=1) + "\n")
    return path


def window_means(values: np.ndarray, window: int, draws: int, seed: int = 0) -> np.ndarray:
    """Means of `draws` windows of `window` values drawn with replacement (normal traffic's window means)."""
    rng = np.random.default_rng(seed)
    return values[rng.integers(len(values), size=(draws, window))].mean(axis=1)


def choose_alarm(calibrated: np.ndarray, quick: bool) -> dict[str, Any]:
    """The low-confidence threshold from validation lines; its alert rates on the monitor's streams."""
    from text_recognizer.monitoring import monitor, streams

    threshold = float(np.floor(np.quantile(window_means(calibrated, monitor.WINDOW, ALARM_DRAWS),
                                           ALARM_QUANTILE) * 100) / 100)
    sizes = monitor.QUICK_POOL_SIZES if quick else monitor.POOL_SIZES
    recognizer = streams.line_recognizer()
    rates = {}
    for name in streams.STREAMS:
        pool = streams.pool_features(name, sizes["in_distribution" if name == "in_distribution" else "drifted"],
                                     recognizer=recognizer)
        stream = streams.replay({"in_distribution": pool, name: pool}, name, ALARM_REPLAY, onset=0)
        means = np.array([stream.columns["confidence"][start:end].mean()
                          for start, end in monitor.sliding_windows(len(stream), monitor.WINDOW, monitor.STEP)])
        rates[name] = {"windows": len(means), "alerting_windows": int(np.sum(means < threshold)),
                       "alert_rate": float(np.mean(means < threshold)),
                       "mean_confidence": float(pool["confidence"].mean())}
    return {"threshold": threshold, "window_requests": monitor.WINDOW,
            "rule": f"the {ALARM_QUANTILE:.1%} quantile of the mean calibrated confidence of {ALARM_DRAWS} windows "
                    f"of {monitor.WINDOW} validation lines, rounded down to 0.01",
            "false_alarm_rate_in_distribution": rates["in_distribution"]["alert_rate"],
            "streams": rates, "stream_data": f"the monitor's pools (streams.py, seed {streams.STREAM_SEED}), "
                                             f"each replayed as {ALARM_REPLAY} requests, a window every "
                                             f"{monitor.STEP} requests"}


def reliability_figure(sections: dict[str, dict[str, Any]]) -> Any:
    """A reliability diagram per reader (a matplotlib figure): held-out lines' accuracy per confidence
    bin, raw and calibrated, beside the diagonal of a perfectly calibrated confidence."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(sections), figsize=(5.5 * len(sections), 5), squeeze=False)
    for axis, (name, section) in zip(axes[0], sections.items(), strict=True):
        axis.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
        for key, label, marker in (("before", "raw", "o"), ("after", "calibrated", "s")):
            bins = section[f"reliability_{key}"]
            axis.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker=marker,
                      label=f"{label}: ECE {section[f'ece_{key}']:.3f}")
        for b in section["reliability_after"]:  # a bin of one line weighs little in the ECE: say so
            axis.annotate(f"{b['lines']}", (b["confidence"], b["accuracy"]), textcoords="offset points",
                          xytext=(6, -12), fontsize=8, color="tab:orange")
        axis.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (mean of the bin)",
                 ylabel="share of characters read right",
                 title=f"{name} ({section['strategy']}), {section['held_out_lines']} held-out lines\n"
                       "(orange numbers: lines per calibrated bin)")
        axis.legend(loc="lower right")
    figure.tight_layout()
    return figure


def draw_reliability(sections: dict[str, dict[str, Any]], path: Path) -> Path:
    """Save `reliability_figure(sections)` as a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = reliability_figure(sections)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def main(
    output: Annotated[Path, typer.Option(help="The report JSON (the PNG goes beside it).")],
    lines: Annotated[int, typer.Option(help="Validation lines per reader (half fit, half held out).")] = 600,
    quick: Annotated[bool, typer.Option(help="Small stream pools (a smoke test, not a measurement).")] = False,
) -> None:
    """Calibrate the deployed line readers' confidence on validation lines; choose the low-confidence alarm."""
    from text_recognizer.environment import configure_environment

    configure_environment()
    sections, fitted = {}, {}
    for kind in ("line", "handwriting"):
        sections[kind], calibration, read = calibrate(kind, lines)
        fitted[kind] = (read, calibration)
        print(f"{kind:12} ECE before {sections[kind]['ece_before']:.4f}  after {sections[kind]['ece_after']:.4f}  "
              f"({sections[kind]['held_out_lines']} held-out lines)")
    for read, calibration in fitted.values():  # first: the alarm's streams are read with the new calibration
        write_calibration(Path(read["config"]), read["strategy"], calibration, {})
    line_read, _ = fitted["line"]
    alarm = choose_alarm(line_read["calibrated"], quick)
    stored = {key: alarm[key] for key in ("threshold", "window_requests", "false_alarm_rate_in_distribution")}
    for kind, (read, calibration) in fitted.items():
        path = write_calibration(Path(read["config"]), read["strategy"], calibration,
                                 {"alarm": stored} if kind == "line" else {})
        print(f"wrote {path}")
    picture = draw_reliability(sections, output.with_suffix(".png"))
    report = {"data": "validation lines only (never test writers)", "bins": BINS, "target_ece": TARGET_ECE,
              "accuracy": "share of the line's characters read right: 1 - the line's CER, at least 0",
              "readers": sections, "alarm": alarm, "reliability_diagram": picture.name}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")
    print(f"alarm threshold {alarm['threshold']:.2f}: false-alarm rate in distribution "
          f"{alarm['false_alarm_rate_in_distribution']:.4f} of windows; alert rate per stream: "
          + ", ".join(f"{name} {rate['alert_rate']:.2f}" for name, rate in alarm["streams"].items()))
    print(f"wrote {output} and {picture}")


if __name__ == "__main__":
    typer.run(main)
