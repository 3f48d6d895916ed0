"""A small web view of the leaderboards (`python -m autograder serve`).

/                 the labs with submissions
/lab/<N>          lab N's public table (HTML)
/lab/<N>.json     the same as JSON
/lab/<N>/final    the private (final) ranking, only when started with --final
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from flask import Flask, abort, jsonify

from autograder.records.leaderboard import Leaderboard, render_html


def create_app(db_path: Path, show_final: bool = False) -> Flask:
    """The Flask app over the leaderboard database at `db_path`."""
    app = Flask("autograder")
    board = Leaderboard(db_path)

    @app.get("/")
    def index():
        links = "".join(f'<li><a href="/lab/{lab}">Lab {lab}</a></li>' for lab in board.labs())
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>Leaderboards</title></head>"
            f"<body><h1>Leaderboards</h1><ul>{links or '<li>No submissions yet.</li>'}</ul></body></html>"
        )

    @app.get("/lab/<int:lab>")
    def public(lab: int):
        metric, _ = board.metric(lab)
        return render_html(lab, board.table(lab, "public"), metric, "public")

    @app.get("/lab/<int:lab>.json")
    def public_json(lab: int):
        metric, order = board.metric(lab)
        return jsonify(
            {
                "lab": lab,
                "metric": metric,
                "order": order,
                "split": "public",
                "rows": [asdict(row) for row in board.table(lab, "public")],
            }
        )

    @app.get("/lab/<int:lab>/final")
    def final(lab: int):
        if not show_final:
            abort(404)
        metric, _ = board.metric(lab)
        return render_html(lab, board.table(lab, "private"), metric, "private")

    return app
