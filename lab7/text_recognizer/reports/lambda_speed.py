"""Does the function fit Lambda, and how fast is it? The compiled model beside the Keras one, in one run.

    python -m text_recognizer.reports.lambda_speed --output ../reports/lab7_serverless_benchmark.json

It measures, and writes as JSON:
- package size: the zip variant (the code and compiled model that serverless.yml packages, plus
  the installed files of the layer's distributions, `serverless/requirements.txt` and what they
  require) and the Keras stack (`api/requirements.txt`: TensorFlow, Keras, ...), unzipped and
  deflated into a real zip, against Lambda's limits (250 MB unzipped for code and layers, 50 MB
  for a zip uploaded directly);
- cold start: a fresh Python process per start, from its spawn to the handler being ready
  (interpreter, imports, model load), with the import and load times measured inside it (the
  handler imports the models' libraries lazily: TensorFlow's import is in the Keras load time);
- warm latency: the same process answering API Gateway events of the same support line images
  through `handler.handler` (end to end, as Lambda bills it) and the model alone, p50 / p95.
The distributions are the ones installed here (manylinux x86_64 wheels, the platform of the
function). Figures, not assertions: the tests check the functions, never the timings.
"""

from __future__ import annotations

import glob
import importlib.metadata as metadata
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from packaging.requirements import Requirement

from text_recognizer.paths import PACKAGE_DIR
from text_recognizer.reports import write_report
from text_recognizer.reports.api_speed import summary

LAB_DIR = PACKAGE_DIR.parent
DESCRIPTOR = LAB_DIR / "serverless.yml"
LAYER_REQUIREMENTS = PACKAGE_DIR / "serverless" / "requirements.txt"
KERAS_REQUIREMENTS = PACKAGE_DIR / "api" / "requirements.txt"
SUPPORT_LINES = LAB_DIR / "tests" / "support" / "emnist_lines"
COMPILED_IN_ZIP = "build/lambda/compiled"
UNZIPPED_LIMIT = 250 * 1024 * 1024
"""Lambda: the function's code and all its layers, unzipped (262,144,000 bytes)."""
ZIPPED_LIMIT = 50 * 1024 * 1024
"""Lambda: a deployment zip uploaded directly (larger ones go through S3, still within 250 MB unzipped)."""
MB = 1024 * 1024
DEFAULT_OUTPUT = LAB_DIR.parent / "reports" / "lab7_serverless_benchmark.json"


def packaged_files(root: Path, patterns: Iterable[str]) -> list[str]:
    """The files under `root` that serverless.yml's `package.patterns` keep, in order: a pattern
    adds its matches, a `!pattern` takes them away (as the Serverless Framework applies them)."""
    kept: set[str] = set()
    for pattern in patterns:
        negate = pattern.startswith("!")
        matches = {m for m in glob.glob(pattern.removeprefix("!"), root_dir=root, recursive=True)
                   if (root / m).is_file()}
        kept = kept - matches if negate else kept | matches
    return sorted(kept)


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_closure(names: Iterable[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions `names` and everything they require (no extras), by normalized name."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if _key(name) in found:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{name} is not installed here: `pip install -r setup/requirements-cpu.lock` "
                             "first (the sizes are those of the installed files).") from None
        found[_key(name)] = distribution
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def distribution_files(distribution: metadata.Distribution) -> list[Path]:
    """The files a distribution installed (its RECORD), those that exist."""
    paths = (Path(distribution.locate_file(f)) for f in distribution.files or [])
    return [p for p in paths if p.is_file()]


def requirement_names(path: Path) -> list[str]:
    """The distribution names of a requirements file."""
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line).name for line in lines if line]


class _CountingSink:
    """A write-only stream that only counts the bytes written (a zip's size without writing it out)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def zip_sizes(files: Iterable[tuple[Path, str]]) -> dict[str, int]:
    """Unzipped bytes of `files` ((path, name in the zip) pairs) and the bytes of their deflated zip."""
    sink, unzipped = _CountingSink(), 0
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path, name in files:
            unzipped += path.stat().st_size
            archive.write(path, name)
    return {"unzipped_bytes": unzipped, "zipped_bytes": sink.size}


def against_limits(sizes: dict[str, int]) -> dict[str, Any]:
    """`sizes` in MB beside Lambda's limits, and whether each fits."""
    return {"unzipped_mb": round(sizes["unzipped_bytes"] / MB, 1), "zipped_mb": round(sizes["zipped_bytes"] / MB, 1),
            "unzipped_limit_mb": UNZIPPED_LIMIT // MB, "direct_upload_limit_mb": ZIPPED_LIMIT // MB,
            "fits_unzipped": sizes["unzipped_bytes"] <= UNZIPPED_LIMIT,
            "fits_direct_upload": sizes["zipped_bytes"] <= ZIPPED_LIMIT}


def stack_files(requirements: Path) -> tuple[list[tuple[Path, str]], dict[str, float]]:
    """The installed files of a requirements file's closure (with their names in a layer) and MB per distribution."""
    files, per_distribution = [], {}
    for name, distribution in sorted(distribution_closure(requirement_names(requirements)).items()):
        found = distribution_files(distribution)
        root = Path(distribution.locate_file(""))
        files += [(p, "python/" + p.relative_to(root).as_posix()) for p in found]
        per_distribution[name] = round(sum(p.stat().st_size for p in found) / MB, 1)
    return files, dict(sorted(per_distribution.items(), key=lambda item: -item[1]))


def package_sizes(compiled_dir: Path) -> dict[str, Any]:
    """The zip variant (code + compiled model + layer) and the Keras stack, against Lambda's limits."""
    patterns = yaml.safe_load(DESCRIPTOR.read_text())["package"]["patterns"]
    code = [(LAB_DIR / name, name) for name in packaged_files(LAB_DIR, patterns)]
    code += [(p, f"{COMPILED_IN_ZIP}/{p.name}") for p in sorted(compiled_dir.iterdir()) if p.is_file()]
    layer, layer_detail = stack_files(LAYER_REQUIREMENTS)
    keras, keras_detail = stack_files(KERAS_REQUIREMENTS)
    function_zip, layer_zip = zip_sizes(code), zip_sizes(layer)
    both = {key: function_zip[key] + layer_zip[key] for key in function_zip}
    return {
        "zip_variant": {"function_zip": against_limits(function_zip), "layer": against_limits(layer_zip),
                        "function_and_layer": against_limits(both), "layer_distributions_mb": layer_detail},
        "keras_stack": {**against_limits(zip_sizes(keras)), "distributions_mb": keras_detail},
    }


def line_events() -> list[dict[str, Any]]:
    """API Gateway 2.0 events of the support line images (PNG, base64 bodies), kind=line."""
    from text_recognizer.serverless.events import api_gateway_event

    return [api_gateway_event(p.read_bytes(), "image/png", query={"kind": "line"})
            for p in sorted(SUPPORT_LINES.glob("line_*.png"))]


def child(spawned_at: float, rounds: int) -> dict[str, Any]:
    """In a fresh process: import the handler, build the app (models), then answer the line events."""
    real_stdout = sys.stdout
    started = time.perf_counter()
    from text_recognizer.environment import configure_environment

    configure_environment()
    from text_recognizer.serverless import handler

    imported = time.perf_counter()
    app = handler.application()
    ready, ready_wall = time.perf_counter(), time.time()
    events = line_events()
    from text_recognizer.images.reading import read_grayscale_image

    lines = [read_grayscale_image(p) for p in sorted(SUPPORT_LINES.glob("line_*.png"))]
    predictor = app.extensions["recognizer"].line_predictor
    sys.stdout = open(os.devnull, "w")  # the EMF lines of every request: written, not shown
    try:
        first_started = time.perf_counter()
        answer = handler.handler(events[0])
        if answer["statusCode"] != 200:
            raise RuntimeError(f"the function answered {answer['statusCode']}: {answer['body'][:300]}")
        first = time.perf_counter() - first_started
        handler_s, model_s = [], []
        for _ in range(rounds):
            for event, line in zip(events, lines):
                t0 = time.perf_counter()
                handler.handler(event)
                t1 = time.perf_counter()
                predictor.predict(line)
                handler_s.append(t1 - t0)
                model_s.append(time.perf_counter() - t1)
    finally:
        sys.stdout.close()
        sys.stdout = real_stdout
    return {"cold_start_s": round(ready_wall - spawned_at, 3), "import_s": round(imported - started, 3),
            "load_s": round(ready - imported, 3), "first_request_ms": round(first * 1000, 2),
            "warm_handler": summary(handler_s), "warm_model": summary(model_s),
            "predictor": type(predictor).__name__, "models": sorted(app.extensions["recognizer"].models)}


def run_child(compiled_dir: Path | None, rounds: int, timeout_s: float = 600) -> dict[str, Any]:
    """One cold start and warm run in a fresh process: the compiled model with `compiled_dir`, else Keras."""
    env = {key: value for key, value in os.environ.items() if key != "TEXT_RECOGNIZER_COMPILED_DIR"}
    if compiled_dir is not None:
        env["TEXT_RECOGNIZER_COMPILED_DIR"] = str(compiled_dir)
    spawned_at = time.time()
    result = subprocess.run([sys.executable, "-m", "text_recognizer.reports.lambda_speed", "--child",
                             str(spawned_at), "--rounds", str(rounds)], cwd=LAB_DIR, env=env, capture_output=True,
                            text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise SystemExit(f"the benchmark's child process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare_runs(compiled_dir: Path, starts: int, rounds: int) -> dict[str, Any]:
    """`starts` fresh processes per model, alternating; the cold starts and the last run's warm latencies."""
    runs: dict[str, list[dict[str, Any]]] = {"compiled": [], "keras": []}
    for _ in range(starts):
        runs["compiled"].append(run_child(compiled_dir, rounds))
        runs["keras"].append(run_child(None, rounds))
    report = {}
    for name, results in runs.items():
        cold = [r["cold_start_s"] for r in results]
        report[name] = {"predictor": results[-1]["predictor"], "models_loaded": results[-1]["models"],
                        "cold_start_s": cold,
                        "cold_start_median_s": sorted(cold)[len(cold) // 2],
                        "import_s": [r["import_s"] for r in results], "load_s": [r["load_s"] for r in results],
                        "first_request_ms": [r["first_request_ms"] for r in results],
                        "warm_handler": results[-1]["warm_handler"], "warm_model": results[-1]["warm_model"]}
    return report


def main(
    output: Annotated[Path, typer.Option(help="Write the report JSON here.")] = DEFAULT_OUTPUT,
    compiled_dir: Annotated[Path | None, typer.Option(help="An exported model (default: export one now).")] = None,
    starts: Annotated[int, typer.Option(help="Cold starts per model.")] = 3,
    rounds: Annotated[int, typer.Option(help="Passes over the support lines, warm.")] = 10,
    child_spawned_at: Annotated[float | None, typer.Option("--child", hidden=True)] = None,
) -> None:
    """Does the function fit Lambda, and how fast is it? The compiled model beside the Keras one."""
    if child_spawned_at is not None:  # one measured start, in the child process `run_child` spawned
        print(json.dumps(child(child_spawned_at, rounds)))
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        if compiled_dir is None:
            from text_recognizer.serverless.compiled import export_models

            compiled_dir = export_models(Path(scratch) / "compiled").parent
        report = {
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
            "support_lines": len(list(SUPPORT_LINES.glob("line_*.png"))), "starts": starts,
            "rounds": rounds,
            "package": package_sizes(Path(compiled_dir)),
            "latency": compare_runs(Path(compiled_dir), starts, rounds),
        }
    report["benchmark_s"] = round(time.perf_counter() - started, 1)
    write_report(report, output)
    package, latency = report["package"], report["latency"]
    print(f"zip variant: function {package['zip_variant']['function_zip']['zipped_mb']} MB zipped, with its layer "
          f"{package['zip_variant']['function_and_layer']['unzipped_mb']} MB unzipped (limit 250); Keras stack "
          f"{package['keras_stack']['unzipped_mb']} MB unzipped")
    for name, figures in latency.items():
        print(f"{name}: cold start {figures['cold_start_median_s']} s (median of {starts}), warm handler "
              f"p50 {figures['warm_handler']['p50_ms']} ms, p95 {figures['warm_handler']['p95_ms']} ms")
    print(f"report: {output}")


if __name__ == "__main__":
    typer.run(main)
