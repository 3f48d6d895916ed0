"""The serverless benchmark's measuring functions, on tiny inputs (the timings are never asserted)."""

from __future__ import annotations

import zipfile

from text_recognizer.reports import lambda_speed


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
        "aws-lambda-powertools", "flask", "numpy", "onnxruntime", "pillow"}


def test_line_events_are_api_gateway_events_of_the_support_lines():
    events = lambda_speed.line_events()
    assert len(events) == len(list(lambda_speed.SUPPORT_LINES.glob("line_*.png"))) > 0
    assert all(e["version"] == "2.0" and e["isBase64Encoded"] and e["rawQueryString"] == "kind=line"
               for e in events)
