"""Set-ups shared by the serverless tests, made once per test session.

- `compiled_dir`: the deployed line model exported to ONNX (`serverless/compiled.py`): the
  function zip's model, read by the compiled-model, packaging and runtime tests.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def compiled_dir(tmp_path_factory):
    from text_recognizer.serverless import compiled

    out = tmp_path_factory.mktemp("compiled")
    compiled.export_models(out)
    return out
