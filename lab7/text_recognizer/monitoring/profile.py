"""The reference profile: what the features of normal requests look like, stored beside the weights.

    python -m text_recognizer.monitoring.profile            # the deployed line model, 1,000 validation lines

writes `text_recognizer/weights/line_model_ctc_line_lstm_ctc_profile.json`: the model it was made
for (name and weights SHA-256), the data, and per feature its reference values (what the drift
check compares windows with) and a summary (mean, standard deviation, quantiles) for people.
A profile describes one model: confidence and text length change when the model does, so make a
new one whenever a model is promoted (a profile of another model's weights is refused).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from text_recognizer.monitoring.features import DRIFT_FEATURES, FEATURES

PROFILE_SUFFIX = "_profile.json"
REFERENCE_LINES = 1000


def profile_path(config_path: str | Path) -> Path:
    """Where the profile of the model configured by `config_path` lives: beside its weights."""
    config_path = Path(config_path)
    return config_path.with_name(config_path.name.removesuffix(".json") + PROFILE_SUFFIX)


def build_profile(columns: Mapping[str, np.ndarray], model: Mapping[str, Any], data: str) -> dict[str, Any]:
    """The profile of reference features `columns` (feature -> values) for `model` (its provenance)."""
    features = {}
    for name in FEATURES:
        values = np.asarray(columns[name], np.float64)
        values = values[~np.isnan(values)]
        if values.size == 0:
            raise ValueError(f"The reference has no value of {name!r}: build it on answered requests.")
        quantiles = np.quantile(values, [0.01, 0.25, 0.5, 0.75, 0.99])
        features[name] = {"mean": float(values.mean()), "std": float(values.std()),
                          "quantiles": {q: float(v) for q, v in zip(("p01", "p25", "p50", "p75", "p99"),
                                                                     quantiles, strict=True)},
                          "values": [round(float(v), 6) for v in values]}
    return {"model": {"name": model.get("name"), "weights_sha256": model.get("weights_sha256")},
            "data": data, "count": int(len(np.asarray(columns[FEATURES[0]]))),
            "drift_features": list(DRIFT_FEATURES), "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "features": features}


def reference_columns(profile: Mapping[str, Any], names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The profile's reference values, feature -> array: the `reference` of `drift.detect_drift`."""
    chosen = names or tuple(profile.get("drift_features", DRIFT_FEATURES))
    return {name: np.asarray(profile["features"][name]["values"], np.float64) for name in chosen}


def write_profile(profile: Mapping[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(profile, indent=1) + "\n")
    return path


def load_profile(path: str | Path, model: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read a profile; with `model` (a provenance), refuse one made for other weights."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No reference profile at {path}: make it with "
                                "`python -m text_recognizer.monitoring.profile`.")
    profile = json.loads(path.read_text())
    made_for = profile.get("model", {}).get("weights_sha256")
    if model is not None and model.get("weights_sha256") and made_for != model.get("weights_sha256"):
        raise ValueError(f"The profile {path.name} was made for other weights than the deployed model's: "
                         "rebuild it with `python -m text_recognizer.monitoring.profile`.")
    return profile


def deployed_profile(recognizer: Any = None) -> dict[str, Any]:
    """The profile of the deployed line model (checked against its weights)."""
    from text_recognizer.predictors.line_predictor import LinePredictor

    model = (getattr(recognizer, "models", {}) or {}).get("line") if recognizer is not None else None
    return load_profile(profile_path(LinePredictor.default_config), model)


def main(
    lines: Annotated[int, typer.Option(help="Validation lines to profile.")] = REFERENCE_LINES,
    output: Annotated[Path | None, typer.Option(
        help="Where to write the profile (default: beside the deployed line model's weights).")] = None,
) -> None:
    """Profile the deployed line model's request features on validation lines: the drift checks' reference."""
    from text_recognizer.environment import configure_environment
    from text_recognizer.monitoring import streams
    from text_recognizer.predictors.line_predictor import LinePredictor

    configure_environment()
    recognizer = streams.line_recognizer()
    images, _ = streams.emnist_lines(lines, streams.REFERENCE_SEED)
    columns = streams.read_requests(list(images), recognizer)
    data = f"{lines} validation lines of the EMNIST-lines substitute, seed {streams.REFERENCE_SEED}"
    path = write_profile(build_profile(columns, recognizer.models["line"], data),
                         output or profile_path(LinePredictor.default_config))
    print(f"wrote {path} ({lines} requests)")


if __name__ == "__main__":
    typer.run(main)
