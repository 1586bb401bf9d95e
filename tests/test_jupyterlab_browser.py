"""Widgets in a real JupyterLab, driven by headless Chromium through chromedriver (selenium).

Starts ``jupyter lab`` on a free 127.0.0.1 port with a token and private settings (one
server and one browser for the module) and, as a user would:

* runs a notebook with the link explorer, the power simulator and the lever widget, changes
  the dropdown, a slider and the step/pulse toggle in the page, and checks the output changes;
* switches the lever from a KPI with a wide range to one with a narrow range (the sequence of
  issue 19: the change used to read the new maximum) and moves the change slider with the
  keyboard, the mouse and the readout, checking that the browser's value is the one simulated;
* runs all cells, saves from JupyterLab (which stores no widget state by default), exports the
  saved file with ``jupyter nbconvert --to html`` and opens the export offline: every widget's
  snapshot is there and its figure loads.

The ``slow`` test does the Run All / Save / export round trip for every shipped notebook with a
widget. Screenshots go to ``$BSC_BROWSER_ARTIFACTS`` (else the test's temporary folder).
Skipped (with the reason) when Chromium, chromedriver or selenium are missing.
"""

from __future__ import annotations

import json
import os
import re
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

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("BSC_BROWSER_ARTIFACTS", "")) if os.environ.get("BSC_BROWSER_ARTIFACTS") else None

SETUP = ("from bsc_toolkit.evidence import validate\n"
         "from bsc_toolkit.history import simulate_history\n"
         "from bsc_toolkit.scorecard import load_example\n"
         "from bsc_toolkit.widgets import lever_sliders, link_explorer, power_simulator\n"
         "sc = load_example('retail')\n"
         "sim = simulate_history(sc, n_units=6, n_periods=10, seed=1)\n"
         "ev = validate(sc, sim.history, transform='none')")
NOTEBOOK_CELLS = [
    SETUP,
    "link_explorer(ev, sim.history, max_lag=1)",
    "power_simulator(effect=0.0, n_units=5, n_periods=6, n_sims=3)",
    "lever_sliders(ev, sim.history, sc, draws=100)",
]
#: notebooks shipped with a widget (the slow round trip runs each in JupyterLab)
WIDGET_NOTEBOOKS = ["02_lint_and_score.ipynb", "03_test_the_links.ipynb", "04_drivers_chains_levers.ipynb",
                    "course/c5_how_many_periods.ipynb"]


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


def _notebook(path: Path, sources: list[str]) -> None:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
              "source": src} for i, src in enumerate(sources)]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    tmp_path = tmp_path_factory.mktemp("lab")
    root = tmp_path / "lab"
    root.mkdir()
    _notebook(root / "widgets.ipynb", NOTEBOOK_CELLS)
    _notebook(root / "export.ipynb", NOTEBOOK_CELLS)
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
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, lab):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chrome")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={profile}"):
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


def _open(browser, lab, name: str) -> None:
    base, token, _ = lab
    browser.get(f"{base}/lab/tree/{name}?token={token}")
    _wait(browser, lambda d: d.execute_script(
        "const a = window.jupyterapp; const w = a && a.shell.currentWidget;"
        "return !!(w && w.context && w.context.path === arguments[0] && w.sessionContext"
        " && w.sessionContext.session && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.connectionStatus === 'connected');", name), 60,
        f"the kernel of {name}")


def _run_all(browser) -> None:
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")


def _idle(browser, timeout: float, what: str) -> None:
    """Wait until every cell has run and the kernel is idle."""
    _wait(browser, lambda d: d.execute_script(
        "const w = window.jupyterapp.shell.currentWidget;"
        "const cells = w.content.widgets.filter(c => c.model.type === 'code');"
        "return w.sessionContext.session.kernel.status === 'idle'"
        " && cells.every(c => c.model.executionCount !== null);"), timeout, what)


def _save(browser, path: Path, timeout: float = 30) -> dict:
    """Save from JupyterLab and return the notebook as written to disk."""
    browser.execute_script("window.jupyterapp.commands.execute('docmanager:save');")
    _wait(browser, lambda d: d.execute_script(
        "return !window.jupyterapp.shell.currentWidget.context.model.dirty;"), timeout, "JupyterLab to save")
    return json.loads(path.read_text(encoding="utf-8"))


def _number(text: str) -> float:
    """The number in a readout or a headline (``1.30``, ``+1.30 hours``, ``\u22122.00``: d3 writes U+2212)."""
    text = text.replace("\u2212", "-")
    return float(re.search(r"[-+]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?", text).group(0).replace(",", ""))


def _headline(browser) -> str:
    return browser.find_element("css selector", ".bsc-lever-result p b").text


def test_widgets_respond_in_jupyterlab(lab, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    t0 = time.monotonic()
    _open(browser, lab, "widgets.ipynb")
    _run_all(browser)

    link = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".bsc-link-result .bsc-verdict"), 40,
                 "the link explorer's output")
    result = browser.find_element(By.CSS_SELECTOR, ".bsc-link-result")
    first = result.text
    assert "L1 → P1" in first and link.text in first
    Select(browser.find_element(By.CSS_SELECTOR, ".bsc-link-choice select")).select_by_visible_text("C1 -> F2")
    _wait(browser, lambda d: "C1 → F2" in d.find_element(By.CSS_SELECTOR, ".bsc-link-result").text, 20,
          "the link explorer to show C1 -> F2")
    assert browser.find_element(By.CSS_SELECTOR, ".bsc-link-result").text != first

    power = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".bsc-power-result"), 30,
                  "the power simulator's output")
    assert "effect 0 SD" in power.text
    readout = browser.find_element(By.CSS_SELECTOR, ".bsc-power-effect .widget-readout")
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("0.8", Keys.ENTER)
    _wait(browser, lambda d: "effect +0.800 SD" in d.find_element(By.CSS_SELECTOR, ".bsc-power-result").text, 20,
          "the power simulator to recompute for effect 0.8")

    lever = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".bsc-lever-result"), 30,
                  "the lever widget's output")
    assert "permanently (step)" in lever.text
    pulse = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".bsc-lever-kind button")
                 if b.text.strip() == "pulse")
    pulse.click()
    _wait(browser, lambda d: "for one period (pulse)" in d.find_element(By.CSS_SELECTOR, ".bsc-lever-result").text,
          20, "the lever widget to recompute for a pulse")
    shot = (ARTIFACTS or lab[2].parent) / "jupyterlab_widgets.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shot))
    print(f"screenshot: {shot} ({time.monotonic() - t0:.1f} s in the browser)")
    assert time.monotonic() - t0 < 90


def test_lever_switch_and_keyboard_mouse_readout_agree(lab, browser):
    """Issue 19's sequence: a wide-range lever, then a narrow one; then keyboard, mouse and typing."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from bsc_toolkit.evidence import validate
    from bsc_toolkit.history import simulate_history
    from bsc_toolkit.scorecard import load_example
    from bsc_toolkit.widgets import lever_choices, lever_range

    sc = load_example("retail")  # the notebook's own objects, rebuilt here for the expected values
    sim = simulate_history(sc, n_units=6, n_periods=10, seed=1)
    ev = validate(sc, sim.history, transform="none")
    ranges = {k: lever_range(sim.history, k) for k in lever_choices(ev, sc)}
    narrow = "training_hours"
    wide = max(ranges, key=lambda k: ranges[k]["max"])
    assert ranges[wide]["value"] > ranges[narrow]["max"]  # the old value lies outside the new range

    if not browser.find_elements(By.CSS_SELECTOR, ".bsc-lever-result"):  # run on its own
        _open(browser, lab, "widgets.ipynb")
        _run_all(browser)
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".bsc-lever-result"), 40, "the lever widget")
    select = Select(browser.find_element(By.CSS_SELECTOR, ".bsc-lever-kpi select"))
    readout = browser.find_element(By.CSS_SELECTOR, ".bsc-lever-change .widget-readout")

    def settled(kpi: str) -> tuple[float, float]:
        """(readout, headline change) once the headline names ``kpi`` and both agree."""
        def both(d):
            head = _headline(d)
            if not head.startswith(f"{kpi} "):
                return None
            shown, used = _number(readout.text), _number(head[len(kpi):])
            return (shown, used) if abs(shown - used) <= 0.006 * max(1.0, abs(used)) else None
        return _wait(browser, both, 20, f"the lever widget to settle on {kpi}")

    select.select_by_visible_text(wide)
    assert settled(wide)[1] == pytest.approx(ranges[wide]["value"], rel=0.01)
    select.select_by_visible_text(narrow)
    time.sleep(1.0)  # let any late echo of the old value arrive
    shown, used = settled(narrow)
    r = ranges[narrow]
    assert used == pytest.approx(r["value"], rel=0.01), f"the change jumped to {used} instead of {r['value']}"
    assert shown == pytest.approx(r["value"], rel=0.01) and shown != pytest.approx(r["max"])

    # keyboard: one arrow key on the handle moves one step, and the browser's value is the one simulated
    handle = browser.find_element(By.CSS_SELECTOR, ".bsc-lever-change .noUi-handle")
    handle.click()
    handle.send_keys(Keys.ARROW_RIGHT)
    shown, used = _wait(browser, lambda d: (lambda v: v if v[1] != pytest.approx(r["value"]) else None)(
        settled(narrow)), 20, "an arrow key to move the lever")
    assert used == pytest.approx(r["value"] + r["step"], abs=r["step"] / 2)
    # mouse: a click at three quarters of the track lands on the step grid too
    track = browser.find_element(By.CSS_SELECTOR, ".bsc-lever-change .noUi-target")
    before = used
    ActionChains(browser).move_to_element_with_offset(track, int(track.size["width"] * 0.25), 0).click().perform()
    shown, used = _wait(browser, lambda d: (lambda v: v if v[1] != pytest.approx(before) else None)(
        settled(narrow)), 20, "a mouse click to move the lever")
    k = (used - r["min"]) / r["step"]
    assert used > before and abs(k - round(k)) < 0.2, (used, k)
    # typed into the readout
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("-2", Keys.ENTER)
    shown, used = _wait(browser, lambda d: (lambda v: v if v[1] < 0 else None)(settled(narrow)), 20,
                        "a typed value to move the lever")
    assert used == pytest.approx(-2, abs=r["step"] / 2) and shown == pytest.approx(used, abs=0.006 * 2)


def _export_html(ipynb: Path) -> Path:
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", str(ipynb)], check=True,
                   capture_output=True, timeout=180)
    return ipynb.with_suffix(".html")


def _check_export(browser, ipynb: Path, saved: dict, shot_name: str) -> Path:
    """The saved notebook has no widget state; its HTML export shows every widget's snapshot offline."""
    from selenium.webdriver.common.by import By

    assert "widgets" not in saved["metadata"], "JupyterLab saved widget state; the export test needs the default"
    views = [o for c in saved["cells"] for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views and all("text/html" in o["data"] for o in views)
    html_path = _export_html(ipynb)
    html = html_path.read_text(encoding="utf-8")
    assert html.count('class="bsc-widget-snapshot"') == len(views)
    assert "VBox(children" not in html and "HBox(children" not in html
    browser.get(html_path.as_uri())  # a file: no server, no kernel, no CDN
    snaps = browser.find_elements(By.CSS_SELECTOR, ".bsc-widget-snapshot")
    assert len(snaps) == len(views)
    images = browser.find_elements(By.CSS_SELECTOR, ".bsc-widget-snapshot img")
    assert all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;", im)
               for im in images)
    browser.execute_script("arguments[0].scrollIntoView();", snaps[-1])
    shot = (ARTIFACTS or ipynb.parent) / shot_name
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shot))
    print(f"export screenshot: {shot}")
    return html_path


def test_run_all_save_and_export_show_the_snapshots(lab, browser):
    _, _, root = lab
    _open(browser, lab, "export.ipynb")
    _run_all(browser)
    _idle(browser, 90, "Run All to finish")
    saved = _save(browser, root / "export.ipynb")
    html = _check_export(browser, root / "export.ipynb", saved, "export_widgets.png")
    text = html.read_text(encoding="utf-8")
    for name in ("link_explorer", "power_simulator", "lever_sliders"):
        assert f'data-widget="{name}"' in text


@pytest.mark.slow
@pytest.mark.parametrize("name", WIDGET_NOTEBOOKS)
def test_every_widget_notebook_exports_its_snapshots(lab, browser, name):
    """Each shipped notebook with a widget: open in JupyterLab, Run All, Save, nbconvert, look."""
    _, _, root = lab
    src = ROOT / "notebooks" / name
    dest = root / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
    if name.startswith("course/"):
        shutil.copy(src.parent / "course_check.py", dest.parent / "course_check.py")
    _open(browser, lab, name)
    _run_all(browser)
    _idle(browser, 300, f"Run All of {name}")
    saved = _save(browser, dest)
    errors = [o for c in saved["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors[0].get("evalue")
    _check_export(browser, dest, saved, f"export_{Path(name).stem}.png")
