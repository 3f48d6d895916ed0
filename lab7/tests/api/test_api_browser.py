"""The web page in a real headless Chromium (Debian's), against gunicorn: a person's first use.

Open the page, choose a photo of a line, wait for the answer, and check what the person sees:
the text, one row per line with its confidence, and the boxes drawn over the image (the canvas
must have the image's size and show the box colours). The screenshot is kept in
`tmp/artefacts/api_page.png` for a person to look at.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from api_inputs import line_labels, photo_of_line, png_bytes
from PIL import Image

from text_recognizer.models.metrics import character_error_rate

pytestmark = pytest.mark.xdist_group("lab6_server")  # one gunicorn and one browser per test session

BOX_COLOURS = {(46, 125, 50), (230, 81, 0)}  # app.js: green for confident lines, orange for the others


def test_upload_a_photo_and_see_its_text_and_boxes(server, browser, artefacts_dir, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as conditions
    from selenium.webdriver.support.ui import WebDriverWait

    name = sorted(line_labels())[3]
    photo = photo_of_line(name)
    path = tmp_path / "photo_of_a_line.png"
    path.write_bytes(png_bytes(photo))

    browser.get(f"{server.url}/")
    assert "Handwritten text recognizer" in browser.title
    browser.find_element(By.ID, "image-input").send_keys(str(path))
    WebDriverWait(browser, 60).until(
        lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done"
        or "error" in (driver.find_element(By.ID, "status").get_attribute("class") or ""))
    status = browser.find_element(By.ID, "status").text
    browser.save_screenshot(str(artefacts_dir / "api_page.png"))
    assert "Read 1 line" in status, status

    text = browser.find_element(By.ID, "text").text
    assert character_error_rate([text], [line_labels()[name]]) < 0.5, text
    rows = browser.find_elements(By.CSS_SELECTOR, "#lines tbody tr")
    assert len(rows) == 1
    confidence = float(rows[0].find_elements(By.TAG_NAME, "td")[2].text)
    assert 0.0 <= confidence <= 1.0

    canvas = browser.find_element(By.ID, "canvas")
    WebDriverWait(browser, 10).until(conditions.visibility_of(canvas))
    assert canvas.get_attribute("data-boxes") == "1"
    assert (int(canvas.get_attribute("width")), int(canvas.get_attribute("height"))) == (photo.shape[1], photo.shape[0])
    drawn = browser.execute_script("return arguments[0].toDataURL('image/png').split(',')[1];", canvas)
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(drawn))).convert("RGB"))
    colours = {tuple(int(v) for v in pixel) for pixel in np.unique(pixels.reshape(-1, 3), axis=0)}
    assert colours & BOX_COLOURS, "no box was drawn over the image"


def test_a_bad_file_shows_the_error_message(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    path = tmp_path / "notes.png"
    path.write_bytes(b"these are notes, not a picture")
    browser.get(f"{server.url}/")
    browser.find_element(By.ID, "image-input").send_keys(str(path))
    status = WebDriverWait(browser, 30).until(
        lambda driver: driver.find_element(By.ID, "status") if "error" in (
            driver.find_element(By.ID, "status").get_attribute("class") or "") else False)
    assert "422" in status.text and "not an image" in status.text


def test_upload_a_page_and_see_a_box_per_line(server, browser, artefacts_dir):
    import json

    import requests
    from lab_folders import SUPPORT_DIR
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = SUPPORT_DIR / "iam_pages" / "page_00.png"
    if not page.is_file() or not requests.get(f"{server.url}/health", timeout=10).json()["reads_pages"]:
        pytest.skip("no page predictor deployed (Lab 5) or no support page")
    expected = len(json.loads((page.parent / "labels.json").read_text())[page.name]["lines"])
    browser.get(f"{server.url}/")
    browser.find_element(By.ID, "image-input").send_keys(str(page))
    WebDriverWait(browser, 60).until(
        lambda driver: f"Read {expected} line" in driver.find_element(By.ID, "status").text
        or "error" in (driver.find_element(By.ID, "status").get_attribute("class") or ""))
    browser.save_screenshot(str(artefacts_dir / "api_page_of_lines.png"))
    assert f"Read {expected} line" in browser.find_element(By.ID, "status").text
    assert browser.find_element(By.ID, "canvas").get_attribute("data-boxes") == str(expected)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#lines tbody tr")) == expected


def test_a_photo_too_big_for_lambda_is_shrunk_before_upload_and_read(server, browser, artefacts_dir, tmp_path):
    import json

    import requests
    from lab_folders import SUPPORT_DIR
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = SUPPORT_DIR / "iam_pages" / "page_00.png"
    if not page.is_file() or not requests.get(f"{server.url}/health", timeout=10).json()["reads_pages"]:
        pytest.skip("no page predictor deployed (Lab 5) or no support page")
    labels = json.loads((page.parent / "labels.json").read_text())[page.name]["lines"]
    big = tmp_path / "big_photo.png"  # 2600 x 2600 uncompressed: 6.8 MB, over app.js's MAX_UPLOAD_BYTES
    Image.open(page).convert("L").resize((2600, 2600), Image.Resampling.BICUBIC).save(big, compress_level=0)
    assert big.stat().st_size > 4 * 1024 * 1024
    browser.get(f"{server.url}/")
    browser.find_element(By.ID, "image-input").send_keys(str(big))
    WebDriverWait(browser, 90).until(
        lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done"
        or "error" in (driver.find_element(By.ID, "status").get_attribute("class") or ""))
    browser.save_screenshot(str(artefacts_dir / "api_big_photo.png"))
    status = browser.find_element(By.ID, "status").text
    assert "Read" in status, status
    canvas = browser.find_element(By.ID, "canvas")  # it shows the image that was sent: the shrunk one
    assert (canvas.get_attribute("width"), canvas.get_attribute("height")) == ("2000", "2000")
    text = browser.find_element(By.ID, "text").text
    assert character_error_rate([text], ["\n".join(labels)]) < 0.2, text


def test_correct_a_line_on_the_page_and_find_it_stored_exported_and_counted(server, browser, artefacts_dir, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from text_recognizer.corrections.export import export_labels
    from text_recognizer.corrections.store import LocalCorrectionStore
    from text_recognizer.monitoring.corrections import correction_rate

    name = sorted(line_labels())[1]
    truth = line_labels()[name]
    path = tmp_path / "line.png"
    path.write_bytes(png_bytes(photo_of_line(name)))
    browser.get(f"{server.url}/")
    browser.find_element(By.ID, "image-input").send_keys(str(path))
    WebDriverWait(browser, 60).until(lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute(
        "data-state") == "done")
    row = browser.find_element(By.CSS_SELECTOR, "#lines tbody tr")
    reading = row.find_elements(By.TAG_NAME, "td")[1].text
    field = row.find_element(By.CSS_SELECTOR, ".correction input")
    assert field.get_attribute("value") == reading  # the reading, ready to be fixed
    field.clear()
    field.send_keys(truth)
    row.find_element(By.CSS_SELECTOR, ".correction button").click()
    WebDriverWait(browser, 30).until(lambda driver: row.get_attribute("data-correction")
                                     or "error" in row.find_element(By.CLASS_NAME, "correction-status").get_attribute(
                                         "class"))
    browser.save_screenshot(str(artefacts_dir / "api_page_correction.png"))
    assert row.find_element(By.CLASS_NAME, "correction-status").text == "Thank you: stored."

    store = LocalCorrectionStore(server.corrections_dir)
    (record,) = [r for r in store.records() if r["id"] == row.get_attribute("data-correction")]
    assert record["reading"] == reading and record["correction"] == truth
    assert record["model"].startswith("line_model_ctc_line_lstm_ctc@")
    crop = Image.open(store.crop_path(record))  # the line's box, cut from the photo by the page
    assert 28 <= crop.height < photo_of_line(name).shape[0] and crop.width > 100
    labels = export_labels(server.corrections_dir, tmp_path / "corrected")
    assert f"{record['crop_name']}\tline\tuser\t{truth}" in labels.read_text().splitlines()
    rate = correction_rate(server.log_path.read_text(errors="replace").splitlines())
    assert rate["corrections"] >= 1 and rate["lines_read"] >= rate["corrections"]


def test_the_docs_page_shows_every_operation_offline(server, browser, artefacts_dir):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server.url}/docs")
    WebDriverWait(browser, 30).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    shown = {element.text.strip() for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    browser.save_screenshot(str(artefacts_dir / "api_docs.png"))
    assert {"/v1/predict", "/v1/corrections", "/health", "/docs", "/openapi.json"} <= shown, shown
    scripts = browser.execute_script("return [...document.scripts].map(s => s.src)")
    assert all(src.startswith(server.url) for src in scripts), scripts  # served here: no CDN
