"""The leaderboard page in a real browser (Playwright + Debian Chromium, no download): the
scatter's points are named, hoverable, never hidden, work at phone width, and the table's n
column is each run's sample count. Screenshots land in test-artifacts/ (and $BOARD_SHOTS)."""
import os
import re
from pathlib import Path

import pytest

from boardkit import HOSTILE, board_runs_for, build, run
from conftest import REPO
from fakeserver import FakeServer, chat_reply

CHROMIUM = Path("/usr/bin/chromium")
WIDTHS = (1400, 390)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    lb = board_runs_for(tmp_path_factory.mktemp("lbp"))
    with FakeServer(lambda b: (200, chat_reply("a tench")), models=["m2"]) as srv:
        run(srv.base_url, "m2", "imagenet", lb["val"], lb["runs"], "--limit", "3")
    out = lb["root"] / "board"
    return out, build([lb["runs"]], lb["definition"], out)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium missing: .ci/run must install it")
        pytest.skip("chromium not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _open(browser, out: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems = []
    page.on("dialog", lambda d: (problems.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("file:") else problems.append(r.url))
    page.goto((out / "index.html").as_uri())
    page.wait_for_selector("#scatter g.point")
    return page, problems


def _shot(page, name: str) -> None:
    for folder in filter(None, (REPO / "test-artifacts", os.environ.get("BOARD_SHOTS"))):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def _plotted(board: dict) -> list[dict]:
    return [r for r in board["rows"] if r.get("imagenet") and r.get("v2_matched-frequency")]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_point_is_named_hoverable_and_visible(board, browser, width):
    out, data = board
    page, problems = _open(browser, out, width)
    points = page.locator("#scatter g.point")
    assert points.count() == len(_plotted(data))
    names = points.evaluate_all("gs => gs.map(g => g.getAttribute('aria-label'))")
    assert len(set(names)) == len(names) and all(re.search(r"n [\d,]+ ImageNet", n) for n in names)
    for name in names:  # the accessibility tree has each one, by that name
        assert page.get_by_role("img", name=name, exact=True).count() == 1
    # no marker is covered: the topmost element at each marker's centre belongs to its point
    covered = page.evaluate("""() => [...document.querySelectorAll('#scatter g.point')].filter(g => {
        const r = g.querySelector('.mark').getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return !hit || hit.closest('g.point') !== g; }).map(g => g.getAttribute('aria-label'))""")
    assert covered == []
    tip = page.locator("#tip")
    for i in range(points.count()):
        point = points.nth(i)
        point.locator(".mark").hover()
        assert tip.is_visible()
        model = point.get_attribute("aria-label").split(" (")[0]
        assert tip.locator("b").text_content() == model
        assert "effective robustness" in tip.text_content() and "top-1" in tip.text_content()
        box = tip.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1
    kinds = points.evaluate_all("gs => gs.map(g => g.classList.contains('measured'))")
    assert kinds == sorted(kinds) and kinds.count(True) == 2  # measured drawn last, on top
    assert problems == []


def test_page_at_phone_width(board, browser):
    out, data = board
    page, problems = _open(browser, out, 390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways page
    svg = page.locator("#scatter").bounding_box()
    assert svg["x"] >= 0 and svg["x"] + svg["width"] <= 390 and svg["height"] >= 300
    sizes = page.locator("#scatter text").evaluate_all(
        "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize))")
    assert min(sizes) >= 10  # readable: the chart is drawn at this width, not scaled down
    _shot(page, "leaderboard-390.png")
    assert problems == []


def test_rows_and_points_highlight_each_other(board, browser):
    out, data = board
    page, _ = _open(browser, out, 1400)
    row = page.locator("#board tbody tr.measured").first
    key = row.get_attribute("data-key")
    point = page.locator(f'#scatter g.point[data-key="{key}"]')
    row.hover()
    assert "hl" in point.get_attribute("class")
    page.mouse.move(0, 0)
    assert "hl" not in point.get_attribute("class")
    point.locator(".mark").hover()
    assert "hl" in row.get_attribute("class")
    _shot(page, "leaderboard-1400.png")


def test_table_n_column_rank_sources_and_subsets(board, browser):
    out, data = board
    page, problems = _open(browser, out, 1400)
    rows = page.locator("#board tbody tr")
    assert rows.count() == len(data["rows"])
    for r in data["rows"]:
        if r["status"] != "measured":
            continue
        tr = page.locator("#board tbody tr.measured", has_text=re.compile(re.escape(
            r["model"] if r["model"] != HOSTILE else "alert(2)")))
        n_in, n_v2 = tr.locator("td.n").all_text_contents()
        for task, shown in (("imagenet", n_in), ("imagenet-v2-matched-frequency", n_v2)):
            lines = Path(r["runs"][task], "samples.jsonl").read_text().splitlines()
            assert int(shown.replace(",", "")) == len(lines)
    ranks = rows.locator("td:first-child").all_text_contents()
    numbered = [int(x) for x in ranks if x != "–"]
    assert numbered == list(range(1, len(numbered) + 1))
    # short source labels that link to their provenance note
    links = page.locator("#board td.src a")
    assert max(len(t) for t in links.all_text_contents()) <= 32
    href = links.first.get_attribute("href")
    assert page.locator(href).count() == 1 and "modestyachts" in page.locator(href).text_content()
    apart = page.locator("#apart tbody tr")
    assert apart.count() == 1 and "--limit 3" in apart.text_content()
    assert apart.locator("td.n").text_content() == "3"
    page.fill("#filter", "resnet")
    visible = page.locator("#board tbody tr:visible td.model").all_text_contents()
    assert visible and all("resnet" in m for m in visible)
    assert page.locator("#board img, #board script").count() == 0 and problems == []
