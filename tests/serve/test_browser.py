"""Real browser: a facilitator sets up a wave, three members answer on their links, the dashboard suppresses below k.

Drives Debian's chromium through chromium-driver (Selenium), headless, against the app on a loopback port.
Skipped, with the reason, where either is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (dev extra) is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="Debian's chromium and chromium-driver are not installed (.ci/run installs "
                                "them)")

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path: Any) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900", "--lang=en-US"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(DRIVER)))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def _go(driver: Any, element: Any, key: str | None = None) -> None:
    """Click (or press ``key`` on) an element that loads a new page, and wait until the new page is there."""
    driver.execute_script("window.__cwOldPage = true")  # a new document does not have it
    if key is None:
        element.click()
    else:
        element.send_keys(key)
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return window.__cwOldPage === undefined && document.readyState === 'complete'"))


def _fill(driver: Any, element_id: str, text: str) -> None:
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def _set_date(driver: Any, element_id: str, day: date) -> None:
    # a date input's typed format depends on the browser's locale; the value property does not
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id),
                          day.isoformat())


def _log_in(driver: Any, base: str) -> None:
    driver.get(base + "/login")
    _fill(driver, "username", "fac_a")
    _fill(driver, "password", "correct horse battery")
    _go(driver, driver.find_element(By.ID, "password"), Keys.ENTER)  # submit by keyboard
    assert driver.current_url.endswith("/clusters")


def _answer(driver: Any, link: str, ratings: dict[str, int]) -> None:
    driver.delete_all_cookies()
    driver.get(link)
    # on a busy machine the page source can be read before the document is there: wait for it (fails after 20 s)
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: "who sees what" in d.page_source)
    agree = driver.find_element(By.ID, "agree")
    agree.send_keys(Keys.SPACE)  # keyboard only: tick the consent box
    assert agree.is_selected()
    _go(driver, driver.find_element(By.ID, "start"))
    for name, score in ratings.items():
        search = driver.find_element(By.ID, "member-search")
        search.clear()
        search.send_keys(name[:5])
        visible = [li for li in driver.find_elements(By.CSS_SELECTOR, "#member-list li") if li.is_displayed()]
        assert [li.text.split("\n")[0] for li in visible] == [name]  # the search box filtered the list
        _go(driver, visible[0].find_element(By.TAG_NAME, "a"))
        driver.find_element(By.CSS_SELECTOR, "label[for=works_with-1]").click()
        for item in ("trust_reliable", "trust_mission", "trust_open", "value_power", "value_involvement",
                     "value_resources"):
            driver.find_element(By.CSS_SELECTOR, f"label[for={item}-{score}]").click()
        _go(driver, driver.find_element(By.ID, "save"))
        assert driver.find_element(By.ID, "saved").is_displayed()
    _go(driver, driver.find_element(By.ID, "cluster-link"))
    driver.find_element(By.CSS_SELECTOR, "label[for=satisfaction-4]").click()
    _go(driver, driver.find_element(By.ID, "save"))


def test_facilitator_and_three_members_in_a_real_browser(browser: Any, live: Any) -> None:
    base = live.url
    _log_in(browser, base)
    _fill(browser, "cluster-name", "Turku Biotech")
    _go(browser, browser.find_element(By.ID, "create-cluster"))
    assert browser.find_element(By.ID, "cluster-title").text == "Turku Biotech"
    names = {"M1": "Aalto Labs", "M2": "Borealis Oy", "M3": "City of Espoo", "M4": "Delta Instruments"}
    for mid, name in names.items():
        _fill(browser, "member-id", mid)
        _fill(browser, "member-name", name)
        _go(browser, browser.find_element(By.ID, "add-member"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#members tbody tr")) == 4
    _fill(browser, "wave-name", "2026-1")
    _set_date(browser, "wave-opens", date.today() - timedelta(days=1))
    _set_date(browser, "wave-closes", date.today() + timedelta(days=14))
    _go(browser, browser.find_element(By.ID, "create-wave"))
    dashboard_url = browser.current_url
    _go(browser, browser.find_element(By.ID, "issue-links"))
    links = {row.get_attribute("data-member"): row.find_element(By.TAG_NAME, "code").text
             for row in browser.find_elements(By.CSS_SELECTOR, "#links tbody tr")}
    assert sorted(links) == ["M1", "M2", "M3", "M4"] and all(link.startswith(base + "/s/") for link in links.values())

    # three members answer; Delta (M4) is rated by all three, each of the others by two
    _answer(browser, links["M1"], {names["M2"]: 4, names["M4"]: 4})
    _answer(browser, links["M2"], {names["M1"]: 3, names["M4"]: 2})
    _answer(browser, links["M3"], {names["M1"]: 2, names["M4"]: 3})
    # a member sees their own answers only
    browser.get(links["M3"] + "/mine")
    mine = browser.find_element(By.ID, "my-answers").text
    assert names["M4"] in mine and names["M2"] not in mine

    browser.delete_all_cookies()
    _log_in(browser, base)
    browser.get(dashboard_url)
    rows = {r.get_attribute("data-member"): r.text for r in
            browser.find_elements(By.CSS_SELECTOR, "#member-measures tbody tr")}
    assert re.search(r"Delta Instruments firm 3 3\.00 3\.00", rows["M4"]), rows["M4"]  # mean of 4, 2, 3
    assert "suppressed" in rows["M1"] and "fewer than 3 raters (2)" in rows["M1"]
    assert "fewer than 3 raters (1)" in rows["M2"] and "fewer than 3 raters (0)" in rows["M3"]
    assert browser.find_element(By.ID, "m-respondents").text == "3"
    assert browser.find_element(By.ID, "m-response-rate").text == "75 %"


def test_survey_fits_a_phone_screen_and_works_without_a_mouse(browser: Any, live: Any, open_wave: Any) -> None:
    browser.set_window_size(390, 844)
    link = live.url + open_wave["links"]["M1"]
    browser.get(link)
    browser.find_element(By.ID, "agree").send_keys(Keys.SPACE)
    _go(browser, browser.find_element(By.ID, "start"), Keys.ENTER)
    _go(browser, browser.find_element(By.CSS_SELECTOR, "#member-list a"), Keys.ENTER)
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    # every form control has a label
    unlabelled = browser.execute_script(
        "return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))"
        ".filter(e => !(e.labels && e.labels.length) && !e.closest('fieldset')).map(e => e.name)")
    assert unlabelled == []
    browser.find_element(By.ID, "works_with-0").send_keys(Keys.SPACE)
    _go(browser, browser.find_element(By.ID, "save"), Keys.ENTER)
    assert browser.find_element(By.ID, "saved").is_displayed()
