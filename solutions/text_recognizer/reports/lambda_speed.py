"""Does the function fit Lambda, and how fast is it? The compiled models beside the Keras ones, in one run.

    python -m text_recognizer.reports.lambda_speed --output ../reports/lab7_serverless_benchmark.json

It measures, and writes as JSON:
- package size: the zip variant (the code and compiled models that serverless.yml packages, and
  the layer: the installed files of `serverless/requirements.txt`'s distributions and what they
  require, before and after `serverless/layer.py` strips what is never loaded) and the Keras
  stack (`api/requirements.txt`: TensorFlow, Keras, ...), unzipped and deflated into a real zip,
  against Lambda's limits (250 MB unzipped for code and layers, 50 MB for a zip uploaded directly);
- cold start: a fresh Python process per start, from its spawn to the handler being ready
  (interpreter, imports, model load and warm-up), with the import and load times measured
  inside it, and the first page request after it (what the first user of a new container waits
  on top); the compiled function runs on the stripped layer alone (`python -S`, the layer and the
  code on its path), so a layer missing a file fails here;
- warm latency: the same process answering API Gateway events of the support pages and lines
  through `handler.handler` (end to end, as Lambda bills it), p50 / p95
  (`reports/lambda_cold_start.py` is the measured process).
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
import shutil
import statistics
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
from text_recognizer.reports.lambda_cold_start import SUPPORT_LINES, SUPPORT_PAGES
from text_recognizer.serverless.layer import kept

LAB_DIR = PACKAGE_DIR.parent
DESCRIPTOR = LAB_DIR / "serverless.yml"
LAYER_REQUIREMENTS = PACKAGE_DIR / "serverless" / "requirements.txt"
KERAS_REQUIREMENTS = PACKAGE_DIR / "api" / "requirements.txt"
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


def layer_files() -> list[tuple[Path, str]]:
    """The layer's files (path here, name in the layer zip) once `serverless/layer.py` has stripped it."""
    return [(path, name) for path, name in stack_files(LAYER_REQUIREMENTS)[0] if kept(name.removeprefix("python/"))]


def build_layer(target: Path) -> Path:
    """Copy the stripped layer's files into `target/python`, as Lambda unpacks a layer under /opt; `target`."""
    for path, name in layer_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name)
    return target


def package_sizes(compiled_dir: Path) -> dict[str, Any]:
    """The zip variant (code + compiled models + layer) and the Keras stack, against Lambda's limits."""
    patterns = yaml.safe_load(DESCRIPTOR.read_text())["package"]["patterns"]
    code = [(LAB_DIR / name, name) for name in packaged_files(LAB_DIR, patterns)]
    code += [(p, f"{COMPILED_IN_ZIP}/{p.name}") for p in sorted(compiled_dir.iterdir()) if p.is_file()]
    full_layer, layer_detail = stack_files(LAYER_REQUIREMENTS)
    keras, keras_detail = stack_files(KERAS_REQUIREMENTS)
    function_zip, layer_zip = zip_sizes(code), zip_sizes(layer_files())
    both = {key: function_zip[key] + layer_zip[key] for key in function_zip}
    return {
        "zip_variant": {"function_zip": against_limits(function_zip), "layer": against_limits(layer_zip),
                        "layer_unstripped": against_limits(zip_sizes(full_layer)),
                        "function_and_layer": against_limits(both), "layer_distributions_mb": layer_detail},
        "keras_stack": {**against_limits(zip_sizes(keras)), "distributions_mb": keras_detail},
    }


def run_child(compiled_dir: Path | None, layer_dir: Path | None, rounds: int, timeout_s: float = 900) -> dict[str, Any]:
    """One cold start and warm run in a fresh process: the compiled models on the layer in `layer_dir`
    (nothing else on the path), or with `compiled_dir` None the Keras models in this environment."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("TEXT_RECOGNIZER_COMPILED_DIR", "PYTHONPATH")}
    command = [sys.executable, "-m", "text_recognizer.reports.lambda_cold_start"]
    if compiled_dir is not None:
        env["TEXT_RECOGNIZER_COMPILED_DIR"] = str(compiled_dir)
        env["PYTHONPATH"] = os.pathsep.join([str(layer_dir / "python"), str(LAB_DIR)])
        command.insert(1, "-S")  # no site-packages: the layer alone, as on Lambda
    spawned_at = time.time()
    result = subprocess.run([*command, str(spawned_at), str(rounds)], cwd=LAB_DIR, env=env, capture_output=True,
                            text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise SystemExit(f"the benchmark's child process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare_runs(compiled_dir: Path, layer_dir: Path, starts: int, rounds: int) -> dict[str, Any]:
    """`starts` fresh processes per model, alternating; the cold starts and the last run's warm latencies."""
    runs: dict[str, list[dict[str, Any]]] = {"compiled": [], "keras": []}
    for _ in range(starts):
        runs["compiled"].append(run_child(compiled_dir, layer_dir, rounds))
        runs["keras"].append(run_child(None, None, rounds))
    report = {}
    for name, results in runs.items():
        cold = [r["cold_start_s"] for r in results]
        first_page = [r["first_page_request_ms"] for r in results]
        report[name] = {"predictors": results[-1]["predictors"], "models_loaded": results[-1]["models"],
                        "cold_start_s": cold, "cold_start_median_s": statistics.median(cold),
                        "import_s": [r["import_s"] for r in results], "load_s": [r["load_s"] for r in results],
                        "first_page_request_ms": first_page,
                        "cold_page_median_s": round(statistics.median(
                            c + f / 1000 for c, f in zip(cold, first_page, strict=True)), 3),
                        "first_line_request_ms": [r["first_line_request_ms"] for r in results],
                        "warm_page": results[-1]["warm_page"], "warm_line": results[-1]["warm_line"]}
    return report


def main(
    output: Annotated[Path, typer.Option(help="Write the report JSON here.")] = DEFAULT_OUTPUT,
    compiled_dir: Annotated[Path | None, typer.Option(help="Exported models (default: export them now).")] = None,
    starts: Annotated[int, typer.Option(help="Cold starts per model.")] = 3,
    rounds: Annotated[int, typer.Option(help="Passes over the support pages and lines, warm.")] = 5,
) -> None:
    """Does the function fit Lambda, and how fast is it? The compiled models beside the Keras ones."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        if compiled_dir is None:
            from text_recognizer.serverless.compiled import export_models

            compiled_dir = export_models(Path(scratch) / "compiled").parent
        layer_dir = build_layer(Path(scratch) / "layer")
        report = {
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
            "support_pages": len(list(SUPPORT_PAGES.glob("page_*.png"))),
            "support_lines": len(list(SUPPORT_LINES.glob("line_*.png"))), "starts": starts, "rounds": rounds,
            "package": package_sizes(Path(compiled_dir)),
            "latency": compare_runs(Path(compiled_dir), layer_dir, starts, rounds),
        }
    report["benchmark_s"] = round(time.perf_counter() - started, 1)
    write_report(report, output)
    zipped, latency = report["package"]["zip_variant"], report["latency"]
    print(f"layer: {zipped['layer']['zipped_mb']} MB zipped (stripped; {zipped['layer_unstripped']['zipped_mb']} MB "
          f"before), limit {zipped['layer']['direct_upload_limit_mb']} MB for a direct upload; function zip "
          f"{zipped['function_zip']['zipped_mb']} MB; function and layer {zipped['function_and_layer']['unzipped_mb']} "
          f"MB unzipped (limit 250); Keras stack {report['package']['keras_stack']['unzipped_mb']} MB unzipped")
    for name, figures in latency.items():
        print(f"{name}: cold start {figures['cold_start_median_s']} s, + first page {figures['cold_page_median_s']} s "
              f"(medians of {starts}); warm page p50 {figures['warm_page']['p50_ms']} ms "
              f"(p95 {figures['warm_page']['p95_ms']}), warm line p50 {figures['warm_line']['p50_ms']} ms")
    print(f"report: {output}")


if __name__ == "__main__":
    typer.run(main)
