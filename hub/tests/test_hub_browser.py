"""The hub in a real browser (Debian's headless Chromium, Selenium), with the course's native
authenticator: a rostered student signs up, logs in, lands in JupyterLab (without the instructor
tools), fetches Lab 1 in nbgrader's Assignments panel, submits it, fetches the feedback and reads
it, and finds the leaderboard; then the instructor logs in and opens formgrader, whose Manage
Assignments and Manual Grading pages show the submission. Screenshots are kept in
tmp/artefacts/hub/ (look at them)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from autograder.paths import REPO_ROOT
from hub.settings import SERVICE_NAME
from hub.tests.conftest import BROWSER_STUDENT, INSTRUCTOR

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


def _log_in(browser, hub, user: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{hub.url}/hub/login")
    browser.find_element(By.ID, "username_input").send_keys(user)
    browser.find_element(By.ID, "password_input").send_keys(password)
    browser.find_element(By.ID, "login_submit").click()


def _sign_up(browser, hub, user: str, password: str) -> str:
    """Sign up at /hub/signup; the page's message."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    # A loaded machine can answer the first request slowly or with the proxy's error page: load again.
    for _ in range(3):
        browser.get(f"{hub.url}/hub/signup")
        try:
            WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.ID, "username_input")))
            break
        except TimeoutException:
            continue
    else:
        raise AssertionError(f"no sign-up form at /hub/signup: {browser.page_source[:500]}")
    browser.find_element(By.ID, "username_input").send_keys(user)
    browser.find_element(By.ID, "password_input").send_keys(password)
    browser.find_element(By.ID, "password_confirmation_input").send_keys(password)
    browser.find_element(By.ID, "signup_submit").click()
    return browser.find_element(By.CSS_SELECTOR, "div.alert").text


def test_a_student_signs_up_submits_and_reads_feedback_and_the_instructor_grades(hub, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Someone not on the roster cannot make an account; a rostered student can, once.
    assert "not on this course's roster" in _sign_up(browser, hub, "intruder", "a long enough password")
    password = "my own lab password"
    message = _sign_up(browser, hub, BROWSER_STUDENT, password)
    _shot(browser, "0_signed_up")
    assert "ready" in message and "sent to the admin" not in message, message
    assert "already in use" in _sign_up(browser, hub, BROWSER_STUDENT, "someone else's password")

    _log_in(browser, hub, BROWSER_STUDENT, "a wrong password!")
    assert "/hub/login" in browser.current_url
    _log_in(browser, hub, BROWSER_STUDENT, password)
    _shot(browser, "1_logged_in")
    # The local process spawner starts the student's JupyterLab as their own account.
    WebDriverWait(browser, 180).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".jp-LauncherCard"))
    assert f"/user/{BROWSER_STUDENT}/lab" in browser.current_url
    _shot(browser, "2_jupyterlab")

    _click(browser, "//div[contains(@class,'lm-MenuBar-itemLabel') and text()='Nbgrader']")
    menu = browser.find_element(By.CSS_SELECTOR, ".lm-Menu").text
    assert "Assignment List" in menu and "Formgrader" not in menu and "Create Assignment" not in menu, menu
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
    browser.get(f"{hub.url}/services/{SERVICE_NAME}/lab/1")
    WebDriverWait(browser, 60).until(lambda b: BROWSER_STUDENT in b.page_source)
    _shot(browser, "6_leaderboard")

    # The instructor, in formgrader (a service of the hub, run as the instructor on the course folder).
    browser.get(f"{hub.url}/hub/logout")
    _log_in(browser, hub, INSTRUCTOR, hub.passwords[INSTRUCTOR])
    formgrader = f"{hub.url}/services/formgrader-htr/formgrader"
    browser.get(formgrader)
    row = WebDriverWait(browser, 120).until(lambda b: b.find_elements(By.XPATH, "//tr[.//a[text()='lab1']]"))
    _shot(browser, "7_formgrader_manage_assignments")
    cells = [cell.text for cell in row[0].find_elements(By.TAG_NAME, "td")]
    assert any(text.isdigit() and int(text) >= 1 for text in cells), f"no submission of lab1 counted: {cells}"
    browser.get(f"{formgrader}/gradebook/lab1/lab1")
    WebDriverWait(browser, 120).until(lambda b: b.find_elements(By.XPATH, "//a[contains(text(),'Submission #')]"))
    _shot(browser, "8_formgrader_manual_grading")
