"""A student in a real browser (Debian's headless Chromium, Selenium): log in to the hub, land
in JupyterLab, open nbgrader's Assignments panel, fetch Lab 1, submit it, fetch the feedback
and read it. Screenshots are kept in tmp/artefacts/hub/ (look at them)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from autograder.paths import REPO_ROOT
from autograder.tests.hub.conftest import BROWSER_STUDENT

pytestmark = pytest.mark.xdist_group("hub")

ARTEFACTS = REPO_ROOT / "tmp" / "artefacts" / "hub"


@pytest.fixture
def browser():
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("no system chromium + chromedriver: `apt-get install chromium chromium-driver`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _click(browser, xpath: str, timeout: float = 60) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(conditions.element_to_be_clickable((By.XPATH, xpath))).click()


def _shot(browser, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def test_a_student_fetches_submits_and_reads_feedback_in_jupyterlab(hub, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{hub.url}/hub/login")
    browser.find_element(By.ID, "username_input").send_keys(BROWSER_STUDENT)
    browser.find_element(By.ID, "password_input").send_keys(hub.password)
    _shot(browser, "1_login")
    browser.find_element(By.ID, "login_submit").click()
    # The local process spawner starts the student's JupyterLab as their own account.
    WebDriverWait(browser, 180).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".jp-LauncherCard"))
    assert f"/user/{BROWSER_STUDENT}/lab" in browser.current_url
    _shot(browser, "2_jupyterlab")

    _click(browser, "//div[contains(@class,'lm-MenuBar-itemLabel') and text()='Nbgrader']")
    _click(browser, "//div[contains(@class,'lm-Menu-itemLabel') and text()='Assignment List']")
    _click(browser, "//div[@id='released_assignments_list']//button[text()='Fetch']", timeout=90)
    _click(browser, "//div[@id='fetched_assignments_list']//button[text()='Submit']", timeout=90)
    WebDriverWait(browser, 60).until(lambda b: b.find_elements(
        By.XPATH, "//div[@id='submitted_assignments_list']//*[contains(text(),'lab1')]"))
    _shot(browser, "3_assignments_submitted")

    status = hub.wait_graded((BROWSER_STUDENT,))
    job = next(j for j in status["jobs"] if j["student"] == BROWSER_STUDENT)
    assert job["state"] == "done" and job["score"] == 0  # the lab as released: nothing solved yet

    _click(browser, "//div[@id='submitted_assignments_list']//button[text()='Fetch Feedback']")
    home = Path(f"/home/{BROWSER_STUDENT}")
    deadline = time.monotonic() + 60
    while not list(home.glob("htr/lab1/feedback/*/lab1.html")) and time.monotonic() < deadline:
        time.sleep(1)
    pages = list(home.glob("htr/lab1/feedback/*/lab1.html"))
    assert len(pages) == 1, "the feedback was not fetched into the student's lab folder"
    _shot(browser, "4_feedback_fetched")
    # The student opens the fetched page through their own server.
    relative = pages[0].relative_to(home).as_posix()
    browser.get(f"{hub.url}/user/{BROWSER_STUDENT}/files/{relative}")
    WebDriverWait(browser, 60).until(lambda b: b.find_elements(By.ID, "score"))
    assert f"Score: 0 / {job['max_score']:g}" in browser.find_element(By.ID, "score").text
    _shot(browser, "5_feedback_page")
