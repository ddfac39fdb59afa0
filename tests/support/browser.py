"""Real headless Chromium (Debian's chromium + chromedriver) driven by selenium, with downloads to a folder."""
from __future__ import annotations

import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def chromium(download_dir: Path, width: int = 1366, height: int = 900) -> webdriver.Chrome:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        raise RuntimeError("Debian's chromium and chromium-driver are needed (make test installs them as root)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    # No sandbox as root; no background networking: this machine's network is closed.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--window-size={width},{height}", "--lang=ja-JP"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver
