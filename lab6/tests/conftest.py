"""Set-ups shared by the test folders that open web pages (Lab 6's API page, Lab 7's dashboard).

- `browser`: headless Chromium from Debian's packages, driven by Selenium and chromedriver;
- `artefacts_dir`: where tests keep what a person may want to look at afterwards (screenshots).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def artefacts_dir() -> Path:
    """`<course root>/tmp/artefacts` (or TEXT_RECOGNIZER_ARTEFACTS_DIR): kept after the tests."""
    from text_recognizer.paths import course_root

    override = os.environ.get("TEXT_RECOGNIZER_ARTEFACTS_DIR")
    folder = Path(override) if override else course_root() / "tmp" / "artefacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def system_chromium() -> tuple[str, str] | None:
    """(chromium, chromedriver) from the system's packages, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's `chromium` + `chromium-driver`); never a downloaded browser."""
    found = system_chromium()
    if found is None:
        pytest.skip("no system chromium + chromedriver: `apt-get install chromium chromium-driver` "
                    "(setup/install.sh does it as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1200,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=found[1]), options=options)
    try:
        yield driver
    finally:
        driver.quit()
