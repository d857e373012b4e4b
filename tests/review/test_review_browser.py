"""The review page in a real browser: Debian's Chromium, headless, driven by Selenium.

Loads the page, plays a file (the audio element reaches `canplay`; a WMA file is said to
be unplayable), changes a keeper
(the group is flagged: the MP3 kept over the FLAC), shows spectrograms, marks the group,
previews, applies (the files move, byte for byte), undoes (they are back, byte for byte).
With MUSIC_TOOLS_SCREENSHOT=path it saves the screenshot the README shows (after the
preview). Skipped, saying why, where Chromium, its driver or Selenium is missing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.review_library import Served

CHROMIUM = os.environ.get("MUSIC_TOOLS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MUSIC_TOOLS_CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT_S = 20
POLL_S = 0.05

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a dev dependency")
if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip(
        f"no {CHROMIUM} and {CHROMEDRIVER}: apt-get install chromium chromium-driver "
        "(.ci/run does)",
        allow_module_level=True,
    )

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def served_root() -> Iterator[Path]:
    """A short folder, so the screenshot shows paths as a user's would look."""
    with tempfile.TemporaryDirectory(prefix="music-") as root:
        yield Path(root)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # Chromium writes its settings there
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",  # as root Chromium refuses to start with its sandbox
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1360,1200",
        f"--user-data-dir={home / 'profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _contents(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _wait(driver: Any, script: str) -> Any:
    return WebDriverWait(driver, WAIT_S, POLL_S).until(lambda d: d.execute_script(script))


def _click(driver: Any, selector: str) -> None:
    driver.find_element(By.CSS_SELECTOR, selector).click()


def test_a_decision_made_in_the_browser_moves_and_puts_back_every_byte(
    served: Served, browser: Any
) -> None:
    before = _contents(served.music)
    group = served.session.groups[0]  # Portishead, Roads: two FLACs and an MP3
    flac = group.keeper
    mp3 = next(f for f in group.files if f.file_format == "mp3")
    browser.get(served.server.url)
    _wait(browser, "return document.body.dataset.ready === '1'")
    assert "2 groups" in browser.find_element(By.ID, "summary").text
    mode = browser.find_element(By.CSS_SELECTOR, f"tr[data-row='{mp3.id}'] td.mode")
    assert mode.text == "VBR" and "diff" in mode.get_attribute("class")  # the FLAC has none

    _click(browser, f"button.play[data-row='{flac.id}']")
    played = (
        "const s = document.getElementById('player').dataset.state; return s !== 'loading' && s"
    )
    assert _wait(browser, played) == "canplay"

    _click(browser, f"input[name='keeper-{group.id}'][value='{mp3.id}']")
    flag = _wait(
        browser,
        f"const f = document.querySelector('article[data-group=\"{group.id}\"] .flag');"
        "return f && f.textContent",
    )
    assert "keeper is not the best copy" in flag
    assert served.session.groups[0].keeper is mp3

    for row in (flac.id, mp3.id):
        _click(browser, f"button.spec[data-row='{row}']")
        image = f"document.querySelector('img.spectrogram[data-row=\"{row}\"]')"
        width = _wait(
            browser,
            f"const i = {image}; return i && i.dataset.state === 'loaded' && i.naturalWidth",
        )
        assert width > 0

    _click(browser, f"input.mark[data-group='{group.id}']")
    WebDriverWait(browser, WAIT_S, POLL_S).until(lambda d: served.session.groups[0].marked)
    _click(browser, "#preview")
    _wait(browser, "return document.getElementById('outcomes').dataset.state === 'preview'")
    outcomes = browser.find_element(By.ID, "outcomes").text
    assert "would move" in outcomes and "2 would" in outcomes
    assert _contents(served.spare) == {}
    screenshot = os.environ.get("MUSIC_TOOLS_SCREENSHOT")
    if screenshot:
        browser.save_screenshot(screenshot)

    _wait(browser, "return !document.getElementById('apply').disabled")
    _click(browser, "#apply")
    _wait(browser, "return document.getElementById('outcomes').dataset.state === 'applied'")
    moved = _contents(served.spare)
    assert sorted(moved) == ["copies/roads.flac", "flac/roads.flac"]
    assert moved == {name: before[name] for name in moved}
    assert _contents(served.music) == {k: v for k, v in before.items() if k not in moved}

    _wait(browser, "return !document.getElementById('undo').disabled")
    _click(browser, "#undo")
    _wait(browser, "return document.getElementById('outcomes').dataset.state === 'undone'")
    assert _contents(served.music) == before
    assert _contents(served.spare) == {}

    wma = {"format": "wma", "codec": "wma", "media_type": "audio/x-ms-wma", "path": "/a.wma"}
    browser.execute_script(  # the page's own function, with a format Chromium cannot play
        "playFile(arguments[0], document.createElement('button'))", wma
    )
    assert browser.find_element(By.ID, "now-playing").text.startswith(
        "This browser cannot play WMA files"
    )
    assert _wait(browser, played) == "unplayable"
