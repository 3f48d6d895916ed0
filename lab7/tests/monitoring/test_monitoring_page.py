"""GET /monitoring on gunicorn (loopback), and the dashboard in a real headless Chromium.

The service is started the way the container starts it, its dashboard folder set from the
environment (`TEXT_RECOGNIZER_MONITORING_DASHBOARD`). Before any dashboard exists the route
answers a 404 page naming the monitor command; once the monitor wrote one, the page shows it.
The screenshot is kept in `tmp/artefacts/monitoring/dashboard.png` for a person to look at.
"""

from __future__ import annotations

import pytest
import requests
from test_dashboard import small_run_record

from text_recognizer.monitoring import monitor

SERVER_START_SECONDS = 180


@pytest.fixture(scope="module")
def dashboards(tmp_path_factory):
    return tmp_path_factory.mktemp("dashboards")


@pytest.fixture(scope="module")
def server(dashboards):
    """gunicorn (one worker) whose /monitoring shows the newest dashboard of `dashboards`."""
    from text_recognizer.api.local_server import LocalServer, ServerError

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEXT_RECOGNIZER_MONITORING_DASHBOARD", str(dashboards))
        try:
            with LocalServer(workers=1, threads=1, start_timeout=SERVER_START_SECONDS) as running:
                yield running
        except ServerError as error:
            pytest.fail(str(error))


def test_without_a_dashboard_the_page_says_how_to_make_one(server, dashboards):
    response = requests.get(f"{server.url}/monitoring", timeout=30)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    assert "python -m text_recognizer.monitoring.monitor" in response.text and str(dashboards) in response.text


def test_the_browser_shows_the_plots_and_the_alerts(server, dashboards, browser, artefacts_dir):
    from selenium.webdriver.common.by import By

    record = small_run_record()
    monitor.write_run(record, dashboards)
    response = requests.get(f"{server.url}/monitoring", timeout=30)
    assert response.status_code == 200 and 'data-stream="blur"' in response.text

    browser.set_window_size(1200, 2400)
    browser.get(f"{server.url}/monitoring")
    assert browser.title == "Monitoring: blur"
    plots = browser.find_element(By.CSS_SELECTOR, "#plots svg")
    assert plots.size["width"] > 800 and plots.size["height"] > 1000, plots.size
    headings = browser.execute_script(
        "return Array.from(document.querySelectorAll('#plots svg text')).map(t => t.textContent);")
    for title in ("Latency", "Confidence", "Text length", "Drift score: population-stability index per feature"):
        assert title in headings, headings
    alerts = sum(check["alert"] for check in record["checks"])
    marks = browser.find_elements(By.CSS_SELECTOR, "#plots svg [id^='alert-mark']")
    assert alerts > 0 and len(marks) >= alerts
    assert all(mark.is_displayed() for mark in marks[:5])
    rows = browser.find_elements(By.CSS_SELECTOR, "#alerts tbody tr")
    assert len(rows) == min(alerts, 50) and "brightness" in rows[0].text
    shots = artefacts_dir / "monitoring"
    shots.mkdir(exist_ok=True)
    browser.save_screenshot(str(shots / "dashboard.png"))
