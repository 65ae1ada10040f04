"""The dashboards in a real browser: `streamlit run` on a free loopback port, headless Chromium (Debian
`chromium` + `chromium-driver`, driven by Selenium). Signs in, opens the heatmap (and clicks a cell) and the order lookup,
checks what they show against the marts, checks that a warehouse user asking for a forbidden page by URL
gets another page, and saves screenshots (into docs/screenshots/ for the README with ORDERLENS_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
# docs/screenshots/ (the README's pictures) only when asked: ORDERLENS_SCREENSHOTS=1 make test. Otherwise a
# folder outside the checkout, so `make test` leaves the working tree clean.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("ORDERLENS_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "orderlens-screenshots"
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(dashboard_run, tmp_path_factory):
    settings, users = dashboard_run
    port = _free_port()
    env = {
        **os.environ,
        "ORDERLENS_PUBLISHED": str(settings.published_dir),
        "ORDERLENS_USERS_FILE": str(users),
    }
    log = open(tmp_path_factory.mktemp("st") / "streamlit.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "streamlit"), "run", "apps/streamlit/app.py",
            "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=3) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(1)
    else:
        proc.terminate()
        pytest.fail(f"streamlit did not come up; see {log.name}")
    yield url, settings
    os.killpg(proc.pid, 15)
    proc.wait(timeout=30)
    log.close()


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False,
         "safebrowsing.enabled": False},
    )  # fmt: skip
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1440,1100", "--lang=zh-CN"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.downloads = downloads  # where Chromium saves downloaded files
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=60):
    return WebDriverWait(driver, timeout).until(condition)


def _title(driver, text: str, timeout=60) -> None:
    _wait(driver, ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), text), timeout)


def _sign_in(driver, url: str | None, user: str, password: str) -> None:
    if url:
        driver.get(url)
    name = _wait(driver, ec.presence_of_element_located((By.CSS_SELECTOR, 'input[aria-label="用户名 User"]')))
    name.send_keys(user)
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="密码 Password"]').send_keys(password)
    driver.find_element(By.XPATH, "//button[.//*[text()='登录 Sign in']]").click()


def _settled(driver, seconds: float = 2.0) -> None:
    """Wait until Streamlit is no longer running the script (the status widget goes away), then a bit."""
    _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'), 60)
    time.sleep(seconds)


def test_sign_in_heatmap_and_order_lookup_with_screenshots(server, browser):
    url, settings = server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        total = con.execute(
            "select sum(overdue_unshipped_orders) from marts.fct_fulfillment_heatmap"
        ).fetchone()[0]
        number, carrier = con.execute(
            "select tracking_no, carrier from marts.fct_logistics_exceptions where order_key is not null "
            "order by tracking_no limit 1"
        ).fetchone()
        latest = con.execute(
            "select day, sum(overdue_unshipped_orders) from marts.fct_fulfillment_heatmap group by day "
            "having sum(overdue_unshipped_orders) > 0 order by day desc limit 1"
        ).fetchone()
        busiest = con.execute(
            "select day, warehouse_code, overdue_unshipped_orders from marts.fct_fulfillment_heatmap "
            "order by overdue_unshipped_orders desc, day, warehouse_code limit 1"
        ).fetchone()

    _sign_in(browser, url, "adm", "admin-pass")
    _title(browser, "总览 Overview")
    _settled(browser)
    browser.save_screenshot(str(SCREENSHOTS / "overview.png"))

    browser.find_element(By.CSS_SELECTOR, 'a[href$="/heatmap"]').click()
    _title(browser, "履约热力图")
    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".js-plotly-plot .heatmaplayer")))
    _settled(browser, 3)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert f"{latest[0]} · 全部 All" in page  # the default cell: the latest day with overdue orders
    metric = browser.find_element(By.CSS_SELECTOR, '[data-testid="stMetricValue"]').text
    assert metric == f"{int(latest[1]):,}"
    cells = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .heatmaplayer text")]
    assert sum(int(t) for t in cells if t.strip().isdigit()) == total  # every cell's count is drawn
    browser.save_screenshot(str(SCREENSHOTS / "heatmap.png"))

    # click the busiest cell: the select boxes follow, the page lists that cell's orders
    chart = browser.find_element(By.CSS_SELECTOR, ".js-plotly-plot")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", chart)
    x, y, width, height = browser.execute_script(
        """
        const gd = arguments[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const box = gd.getBoundingClientRect();
        return [xa._offset + xa.d2p(arguments[1]), ya._offset + ya.d2p(arguments[2]), box.width, box.height];
        """,
        chart,
        str(busiest[0]),
        busiest[1],
    )
    ActionChains(browser).move_to_element_with_offset(
        chart, int(x - width / 2), int(y - height / 2)
    ).click().perform()
    _wait(browser, lambda d: f"{busiest[0]} · {busiest[1]}" in d.find_element(By.TAG_NAME, "body").text)
    _settled(browser)
    metric = browser.find_element(By.CSS_SELECTOR, '[data-testid="stMetricValue"]').text
    assert metric == f"{int(busiest[2]):,}"
    browser.save_screenshot(str(SCREENSHOTS / "heatmap_cell.png"))

    browser.find_element(By.CSS_SELECTOR, 'a[href$="/order_lookup"]').click()
    _title(browser, "订单追踪")
    box = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, "input[aria-label^='订单号']")))
    box.send_keys(number, Keys.ENTER)
    link = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, f'a[href*="nu={number}"]')))
    assert link.get_attribute("href") == f"https://www.kuaidi100.com/chaxun?com={carrier}&nu={number}"
    _settled(browser)
    browser.save_screenshot(str(SCREENSHOTS / "order_lookup.png"))

    browser.find_element(By.CSS_SELECTOR, 'a[href$="/exceptions"]').click()
    _title(browser, "物流异常")
    _settled(browser)
    browser.save_screenshot(str(SCREENSHOTS / "exceptions.png"))


def _dismiss_page_not_found(driver) -> bool:
    """Streamlit answers an unknown /<page> with a 'Page not found' dialog over the default page."""
    try:
        dialog = _wait(driver, ec.visibility_of_element_located((By.CSS_SELECTOR, '[role="dialog"]')), 20)
    except TimeoutException:
        return False
    found = "not found" in dialog.text.lower()
    for close in dialog.find_elements(By.CSS_SELECTOR, 'button[aria-label="Close"]'):
        close.click()
    _wait(driver, ec.invisibility_of_element_located((By.CSS_SELECTOR, '[role="dialog"]')), 20)
    return found


def test_a_forbidden_page_asked_for_by_url_is_not_shown(server, browser):
    url, _ = server
    browser.get(f"{url}/order_lines")
    assert _dismiss_page_not_found(browser)  # before sign-in only the sign-in page exists
    _sign_in(browser, None, "wh", "warehouse-pass")
    _title(browser, "订单追踪 Order lookup")  # the warehouse role's first page, not 订单明细
    _settled(browser)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "订单明细" not in body
    assert not browser.find_elements(By.CSS_SELECTOR, 'a[href$="/order_lines"]')
    assert not browser.find_elements(By.CSS_SELECTOR, 'a[href$="/overview"]')
    browser.save_screenshot(str(SCREENSHOTS / "warehouse_order_lookup.png"))


def test_reconciliation_xlsx_download_holds_the_days_differences(server, browser):
    from openpyxl import load_workbook

    from pipelines.exports.differences import HEADERS, TYPE_LABELS

    url, settings = server
    day = settings.as_of.date()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        expected = con.execute(
            "select difference_type, responsible_team, order_no, tracking_nos, payment_refs, order_amount, "
            "paid_amount, detail from marts.rpt_daily_differences where report_date = ?",
            [day],
        ).fetchall()
    assert len(expected) > 20

    _sign_in(browser, url, "fin", "finance-pass")
    _title(browser, "总览 Overview")
    browser.find_element(By.CSS_SELECTOR, 'a[href$="/reconciliation"]').click()
    _title(browser, "三流对账")
    _settled(browser)
    browser.save_screenshot(str(SCREENSHOTS / "reconciliation.png"))
    button = browser.find_element(By.XPATH, "//button[.//*[text()='下载差异 XLSX']]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    target = browser.downloads / f"differences-{day}.xlsx"
    _wait(browser, lambda d: target.is_file() and not list(browser.downloads.glob("*.crdownload")), 60)

    book = load_workbook(target)
    assert book.sheetnames == list(TYPE_LABELS.values())
    got = []
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == HEADERS
        got += [tuple(r) for r in rows[1:]]

    def norm(value):
        return None if value is None else (round(float(value), 2) if not isinstance(value, str) else value)

    want = sorted(
        (TYPE_LABELS[t], team, no, tr, refs, norm(oa), norm(pa), det.lstrip("'") if det else det)
        for t, team, no, tr, refs, oa, pa, det in expected
    )
    shown = sorted(
        (r[0], r[1], r[2], r[3], r[4], norm(r[5]), norm(r[6]), r[7].lstrip("'") if r[7] else r[7])
        for r in got
    )
    assert shown == want, [x for x in shown if x not in want][:5]
