"""Widgets in a real JupyterLab, driven by headless Chromium through chromedriver (selenium).

Starts ``jupyter lab`` on a free 127.0.0.1 port with a token and private settings,
opens a notebook with the link explorer, the power simulator and the lever widget,
runs it, changes the dropdown, a slider and the step/pulse toggle in the page, and
checks that the widget output changes.
Skipped (with the reason) when Chromium, chromedriver or selenium are missing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("BSC_BROWSER_ARTIFACTS", "")) if os.environ.get("BSC_BROWSER_ARTIFACTS") else None

NOTEBOOK_CELLS = [
    "from bsc_toolkit.evidence import validate\n"
    "from bsc_toolkit.history import simulate_history\n"
    "from bsc_toolkit.scorecard import load_example\n"
    "from bsc_toolkit.widgets import link_explorer, power_simulator\n"
    "sc = load_example('retail')\n"
    "sim = simulate_history(sc, n_units=6, n_periods=10, seed=1)\n"
    "ev = validate(sc, sim.history, transform='none')",
    "link_explorer(ev, sim.history, max_lag=1)",
    "power_simulator(effect=0.0, n_units=5, n_periods=6, n_sims=3)",
    "from bsc_toolkit.widgets import lever_sliders\n"
    "lever_sliders(ev, sim.history, sc, draws=100)",
]


def _skip_reason() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() and os.access(path, os.X_OK)):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
        return "jupyter-lab is not installed in this environment (pip install 'bsc-toolkit[notebooks]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: Path) -> None:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
              "source": src} for i, src in enumerate(NOTEBOOK_CELLS)]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


@pytest.fixture
def lab(tmp_path):
    reason = _skip_reason()
    if reason:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    root = tmp_path / "lab"
    root.mkdir()
    _notebook(root / "widgets.ipynb")
    # private settings: no "official Jupyter news?" toast over the widgets
    news = tmp_path / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
               JUPYTER_PLATFORM_DIRS="1")
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--expose-app-in-browser",
         f"--LabApp.workspaces_dir={tmp_path / 'ws'}", f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly", "--ServerApp.open_browser=False",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("jupyter lab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield base, token, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'chrome'}"):
        opts.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium-manager reach the network
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, predicate, timeout: float, what: str):
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate(driver)
        except WebDriverException:
            value = None
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_widgets_respond_in_jupyterlab(lab, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    base, token, _ = lab
    t0 = time.monotonic()
    browser.get(f"{base}/lab/tree/widgets.ipynb?token={token}")
    _wait(browser, lambda d: d.execute_script(
        "const a = window.jupyterapp; const w = a && a.shell.currentWidget;"
        "return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.connectionStatus === 'connected');"), 40, "the notebook's kernel")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")

    link = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".bsc-link-result .bsc-verdict"), 40,
                 "the link explorer's output")
    result = browser.find_element(By.CSS_SELECTOR, ".bsc-link-result")
    first = result.text
    assert "L1 → P1" in first and link.text in first
    select = Select(browser.find_element(By.CSS_SELECTOR, ".widget-dropdown select"))
    select.select_by_visible_text("C1 -> F2")
    _wait(browser, lambda d: "C1 → F2" in d.find_element(By.CSS_SELECTOR, ".bsc-link-result").text, 20,
          "the link explorer to show C1 -> F2")
    assert browser.find_element(By.CSS_SELECTOR, ".bsc-link-result").text != first

    power = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".bsc-power-result"), 30,
                  "the power simulator's output")
    assert "+0.00 SD" in power.text
    readout = browser.find_elements(By.CSS_SELECTOR, ".widget-slider .widget-readout")[0]  # the effect slider
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("0.8", Keys.ENTER)
    _wait(browser, lambda d: "+0.80 SD" in d.find_element(By.CSS_SELECTOR, ".bsc-power-result").text, 20,
          "the power simulator to recompute for effect 0.8")

    lever = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".bsc-lever-result"), 30,
                  "the lever widget's output")
    assert "permanently (step)" in lever.text
    pulse = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".widget-toggle-buttons button")
                 if b.text.strip() == "pulse")
    pulse.click()
    _wait(browser, lambda d: "for one period (pulse)" in d.find_element(By.CSS_SELECTOR, ".bsc-lever-result").text,
          20, "the lever widget to recompute for a pulse")
    shot = (ARTIFACTS or tmp_path) / "jupyterlab_widgets.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shot))
    print(f"screenshot: {shot} ({time.monotonic() - t0:.1f} s in the browser)")
    assert time.monotonic() - t0 < 60
