"""The dashboard page in real headless Chromium: sign in with a dev token, see the demo figures, drill down from
北海道 to 胆振 to 登別市, download a table as CSV and as .xlsx and check their contents, save screenshots."""
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_dashboard import FY, demo_attendance, demo_events
from tests.support.browser import chromium
from tests.support.processes import REPO_ROOT

pytestmark = pytest.mark.e2e
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path)
    driver.download_dir = tmp_path
    yield driver
    driver.quit()


def wait(driver, condition, what, timeout=30):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d), message=what)


def title(driver):
    return driver.find_element(By.ID, "area-title").text


def card_value(driver, card_id):
    return driver.find_element(By.CSS_SELECTOR, f'[data-card="{card_id}"] .value').text


def downloaded(directory: Path, suffix: str) -> Path:
    def ready(_):
        files = [p for p in directory.iterdir() if p.suffix == suffix]
        return files[0] if files and not any(p.suffix == ".crdownload" for p in directory.iterdir()) else False
    return ready


def test_sign_in_see_figures_drill_down_and_download(demo_stack, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.get(f"{demo_stack.url}/dashboard?fy={FY}")
    wait(browser, lambda d: d.find_element(By.ID, "signin").is_displayed(), "the sign-in form")
    browser.find_element(By.ID, "token-input").send_keys(demo_stack.token("prefecture", "01"))
    browser.find_element(By.ID, "token-submit").click()

    wait(browser, lambda d: "北海道" in title(d), "the prefecture dashboard")
    assert card_value(browser, "events_held").startswith(str(len(demo_events("01"))))
    assert card_value(browser, "attendance").replace(",", "").startswith(str(demo_attendance("01")))
    assert card_value(browser, "trial_budget").replace(",", "").startswith("7650000")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart-comparison svg")) == 1
    browser.save_screenshot(str(SCREENSHOTS / "dashboard-prefecture.png"))

    browser.find_element(By.CSS_SELECTOR, '[data-table="pf_formation"] a[data-area="01B04"]').click()
    wait(browser, lambda d: "胆振" in title(d), "the 胆振 bureau after drilling down")
    browser.find_element(By.CSS_SELECTOR, '[data-table="events_by_area"] a[data-area="012301"]').click()
    wait(browser, lambda d: "登別市" in title(d), "登別市 after drilling down")
    assert card_value(browser, "attendance").startswith(str(demo_attendance("012301")))
    crumbs = browser.find_element(By.ID, "crumbs").text
    assert "北海道" in crumbs and "胆振" in crumbs and "登別市" in crumbs

    browser.find_element(By.CSS_SELECTOR, '[data-download="events_by_area"][data-format="csv"]').click()
    csv_file = wait(browser, downloaded(browser.download_dir, ".csv"), "the CSV download")
    text = csv_file.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("地域,開催数,参加者数")
    assert any(line.startswith("登別市,") and line.split(",")[2] == "73" for line in text.splitlines())

    browser.find_element(By.CSS_SELECTOR, '[data-download="attendance_by_category"][data-format="xlsx"]').click()
    xlsx_file = wait(browser, downloaded(browser.download_dir, ".xlsx"), "the Excel download")
    sheet = load_workbook(io.BytesIO(xlsx_file.read_bytes())).active
    people = sum(row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if isinstance(row[1], int))
    assert people == 73
    browser.save_screenshot(str(SCREENSHOTS / "dashboard-noboribetsu.png"))

    browser.set_window_size(820, 1180)  # a tablet in portrait
    browser.save_screenshot(str(SCREENSHOTS / "dashboard-tablet.png"))
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 820 + 1  # no sideways scrolling
