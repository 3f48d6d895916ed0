"""The serverless benchmark's measuring functions, on tiny inputs (the timings are never asserted)."""

from __future__ import annotations

import zipfile

import pytest

from text_recognizer.reports import lambda_cold_start, lambda_speed


def test_packaged_files_follow_the_patterns_in_order(tmp_path):
    for name in ("pkg/a.py", "pkg/b.txt", "pkg/__pycache__/a.pyc", "pkg/training/t.py", "other/c.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    patterns = ["!**", "pkg/**/*.py", "!pkg/training/**", "pkg/b.txt", "!pkg/**/__pycache__/**"]
    assert lambda_speed.packaged_files(tmp_path, patterns) == ["pkg/a.py", "pkg/b.txt"]


def test_zip_sizes_are_those_of_a_real_zip(tmp_path):
    files = []
    for i, content in enumerate([b"a" * 10_000, bytes(range(256)) * 4]):
        path = tmp_path / f"f{i}"
        path.write_bytes(content)
        files.append((path, f"dir/f{i}"))
    sizes = lambda_speed.zip_sizes(files)
    with zipfile.ZipFile(tmp_path / "real.zip", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path, name in files:
            archive.write(path, name)
    assert sizes["unzipped_bytes"] == 10_000 + 1024
    assert abs(sizes["zipped_bytes"] - (tmp_path / "real.zip").stat().st_size) < 64  # only the headers differ
    assert sizes["zipped_bytes"] < sizes["unzipped_bytes"]


def test_against_limits():
    small = lambda_speed.against_limits({"unzipped_bytes": 10 * lambda_speed.MB, "zipped_bytes": 4 * lambda_speed.MB})
    assert small["fits_unzipped"] and small["fits_direct_upload"] and small["unzipped_mb"] == 10.0
    big = lambda_speed.against_limits({"unzipped_bytes": lambda_speed.UNZIPPED_LIMIT + 1,
                                    "zipped_bytes": lambda_speed.ZIPPED_LIMIT + 1})
    assert not big["fits_unzipped"] and not big["fits_direct_upload"]


def test_distribution_closure_follows_requirements_without_extras():
    found = lambda_speed.distribution_closure(["flask"])
    assert {"flask", "werkzeug", "jinja2", "markupsafe", "click", "itsdangerous", "blinker"} <= set(found)
    assert "python-dotenv" not in found  # flask's `dotenv` extra
    assert all(lambda_speed.distribution_files(d) for d in found.values())


def test_requirement_names_of_the_layer():
    assert set(lambda_speed.requirement_names(lambda_speed.LAYER_REQUIREMENTS)) == {
        "aws-lambda-powertools", "flask", "numpy", "onnxruntime", "pillow", "scipy"}


def test_the_layer_files_are_the_kept_ones_of_the_requirements():
    everything = {name for _, name in lambda_speed.stack_files(lambda_speed.LAYER_REQUIREMENTS)[0]}
    kept = {name for _, name in lambda_speed.layer_files()}
    assert kept < everything and all(name.startswith("python/") for name in kept)
    assert "python/scipy/ndimage/__init__.py" in kept and "python/scipy/stats/__init__.py" not in kept


@pytest.mark.parametrize("kind, pattern", [("line", "line_*.png"), ("page", "page_*.png")])
def test_support_events_are_api_gateway_events_of_the_support_images(kind, pattern):
    events = lambda_cold_start.support_events(kind)
    folder = lambda_cold_start.SUPPORT_LINES if kind == "line" else lambda_cold_start.SUPPORT_PAGES
    assert len(events) == len(list(folder.glob(pattern))) > 0
    assert all(e["version"] == "2.0" and e["isBase64Encoded"] and e["rawQueryString"] == f"kind={kind}"
               for e in events)
