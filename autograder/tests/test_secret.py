"""The hidden sets hang on a secret too long to search (issue 23, section 2): 256 bits from the
OS, drawn again per term (`new-term`), and passed whole to the renderers (no 31-bit cut)."""

from __future__ import annotations

import inspect

from typer.testing import CliRunner

from autograder.cli import app
from autograder.paths import secret_seed
from autograder.suites.lab1 import hidden_set as lab1
from autograder.suites.lab3 import hidden_set as lab3
from autograder.suites.lab5 import hidden_set as lab5


def test_a_new_installation_draws_a_full_length_secret(tmp_path):
    first, second = secret_seed(tmp_path / "a"), secret_seed(tmp_path / "b")
    assert first != second
    assert max(first, second).bit_length() > 200  # 256 random bits: both under 2**200 has odds 2**-111
    assert secret_seed(tmp_path / "a") == first  # kept once drawn
    assert (tmp_path / "a" / "secret_seed").stat().st_mode & 0o077 == 0


def test_the_hidden_set_builders_pass_the_whole_secret_on():
    for module in (lab1, lab3, lab5):
        assert "2**31" not in inspect.getsource(module)


def test_new_term_draws_a_new_secret_and_drops_the_old_hidden_sets(tmp_path):
    state = tmp_path / "state"
    old = secret_seed(state)
    (state / "lab3").mkdir()
    (state / "lab3" / "hidden_lines.npz").write_bytes(b"old term")
    (state / "leaderboard.sqlite").write_bytes(b"old board")
    result = CliRunner().invoke(app, ["new-term", "--label", "2026-fall", "--state-dir", str(state)])
    assert result.exit_code == 0, result.output
    assert secret_seed(state) != old
    assert int((state / "secret_seed.2026-fall").read_text()) == old
    assert not (state / "lab3").exists() and (state / "leaderboard.2026-fall.sqlite").exists()
    again = CliRunner().invoke(app, ["new-term", "--label", "2026-fall", "--state-dir", str(state)])
    assert again.exit_code != 0 and "choose another label" in again.output
