"""The web page on a phone: headless Chromium at 390x844 with a mobile user agent and touch.

A person takes a photo of a page (the photo-like fixture: EXIF orientation 6, perspective, a
shadow) and uploads it. The page must offer the camera, read the photo right side up, scroll the
answer into view, keep every box label inside the image, fit the screen's width, and clear the
answer when the next upload fails; a line read on the phone can be corrected from the phone. The
screenshots are kept in `tmp/artefacts/api_phone*.png`.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import requests
from api_inputs import png_bytes
from lab_folders import SUPPORT_DIR
from page_photos import phone_photo
from PIL import Image

from text_recognizer.models.metrics import character_error_rate

pytestmark = pytest.mark.xdist_group("lab6_server")  # shares the gunicorn of test_api_browser.py

WIDTH, HEIGHT = 390, 844
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/120.0 Mobile Safari/537.36")
PHOTO_CER = 0.35  # as tests/images/test_page_photo.py: the photo's text against the flat page's


@pytest.fixture(scope="module")
def phone():
    """Headless Chromium emulating a phone (Debian's chromium + chromium-driver)."""
    browser, driver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not (browser and driver):
        pytest.skip("no system chromium + chromedriver: `apt-get install chromium chromium-driver`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 3.0, "touch": True},
        "userAgent": PHONE_AGENT})
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def wait_for_answer(phone, seconds: int) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(phone, seconds).until(
        lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done"
        or "error" in (driver.find_element(By.ID, "status").get_attribute("class") or ""))
    return phone.find_element(By.ID, "status").text


def test_a_phone_photo_of_a_page_is_read_and_shown_on_a_phone(server, phone, artefacts_dir, tmp_path):
    from selenium.webdriver.common.by import By

    if not requests.get(f"{server.url}/health", timeout=10).json()["reads_pages"]:
        pytest.skip("no page predictor deployed (Lab 5)")
    page = np.asarray(Image.open(SUPPORT_DIR / "iam_pages" / "page_00.png"))
    flat = requests.post(f"{server.url}/v1/predict?kind=page", data=png_bytes(page),
                         headers={"Content-Type": "image/png"}, timeout=120).json()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(phone_photo(page))

    phone.get(f"{server.url}/")
    assert phone.execute_script("return window.innerWidth") == WIDTH
    field = phone.find_element(By.ID, "image-input")
    assert field.get_attribute("capture") == "environment"
    assert "Take a photo" in phone.find_element(By.ID, "drop-zone").text  # the touch wording shows
    field.send_keys(str(photo))
    status = wait_for_answer(phone, 120)
    phone.save_screenshot(str(artefacts_dir / "api_phone.png"))
    assert "line(s)" in status and "Error" not in status, status

    text = phone.find_element(By.ID, "text").text
    assert character_error_rate([text], [flat["text"]]) <= PHOTO_CER, (text, flat["text"])
    top = phone.execute_script("return document.getElementById('result').getBoundingClientRect().top")
    assert 0 <= top < HEIGHT / 2, "the answer is scrolled into view"
    assert phone.execute_script("return document.documentElement.scrollWidth") <= WIDTH, "no sideways page"
    canvas = phone.find_element(By.ID, "canvas")
    width = int(canvas.get_attribute("width"))
    labels = json.loads(canvas.get_attribute("data-labels"))
    assert len(labels) == int(canvas.get_attribute("data-boxes")) > 5
    assert all(0 <= label["x"] and label["x"] + label["width"] <= width + 0.5 for label in labels)


def test_an_error_clears_the_previous_answer(server, phone, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    line = tmp_path / "line.png"
    line.write_bytes((SUPPORT_DIR / "emnist_lines" / "line_00.png").read_bytes())
    phone.get(f"{server.url}/")
    phone.find_element(By.ID, "image-input").send_keys(str(line))
    assert "Read 1 line" in wait_for_answer(phone, 60)
    assert phone.find_element(By.ID, "text").text

    bad = tmp_path / "notes.png"
    bad.write_bytes(b"these are notes, not a picture")
    phone.find_element(By.ID, "image-input").send_keys(str(bad))
    WebDriverWait(phone, 60).until(
        lambda driver: "error" in (driver.find_element(By.ID, "status").get_attribute("class") or ""))
    assert "422" in phone.find_element(By.ID, "status").text
    assert phone.find_element(By.ID, "text").text == ""
    assert phone.find_elements(By.CSS_SELECTOR, "#lines tbody tr") == []
    assert phone.find_element(By.ID, "canvas").get_attribute("width") == "0"


def test_a_line_is_corrected_from_a_phone(server, phone, artefacts_dir, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from text_recognizer.corrections.store import LocalCorrectionStore

    line = tmp_path / "line.png"
    line.write_bytes((SUPPORT_DIR / "emnist_lines" / "line_00.png").read_bytes())
    phone.get(f"{server.url}/")
    phone.find_element(By.ID, "image-input").send_keys(str(line))
    assert "Read 1 line" in wait_for_answer(phone, 60)
    row = phone.find_element(By.CSS_SELECTOR, "#lines tbody tr")
    field = row.find_element(By.CSS_SELECTOR, ".correction input")
    button = row.find_element(By.CSS_SELECTOR, ".correction button")
    assert field.is_displayed() and button.is_displayed()
    right = phone.execute_script("return arguments[0].getBoundingClientRect().right", button)
    assert right <= WIDTH and field.rect["width"] > WIDTH / 2, "the field fits the screen, wide enough to type in"
    assert phone.execute_script("return document.documentElement.scrollWidth") <= WIDTH, "no sideways page"
    field.clear()
    field.send_keys("the text typed on a phone")
    button.click()
    WebDriverWait(phone, 30).until(lambda driver: row.get_attribute("data-correction") or "error" in (
        row.find_element(By.CLASS_NAME, "correction-status").get_attribute("class")))
    phone.save_screenshot(str(artefacts_dir / "api_phone_correction.png"))
    assert row.find_element(By.CLASS_NAME, "correction-status").text == "Thank you: stored."
    records = LocalCorrectionStore(server.corrections_dir).records()
    (record,) = [r for r in records if r["id"] == row.get_attribute("data-correction")]
    assert record["correction"] == "the text typed on a phone"
