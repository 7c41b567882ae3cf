"""The Help page's table of the canvas' mouse and keys reads at 1024×768 and 1366×768 windows, in
a real browser (Debian's Chromium driven by Playwright against the designer started on a free
port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

Drawn by ``st.table``, each cell's text was held to 400 px whatever its column's width: at
1024 px the 'do' column, 670 px wide, broke 'Add a block' over three lines and 'Move around'
over two, and the 'To' column took a third of the page for a few words. Each action now reads on
one line, and each 'how' breaks only where its column is too narrow for it.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

# each row's cells: [its text, the lines it takes, the lines its text needs at the cell's width]
ROWS_JS = """() => [...document.querySelectorAll('table tr')]
  .filter(tr => tr.querySelector('td'))
  .map(tr => [...tr.querySelectorAll('td')].map(td => {
    const tops = new Set();
    const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t; t = walk.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(t);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.bottom));
    }
    const lines = tops.size;
    const style = getComputedStyle(td);
    const room = td.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const probe = document.createElement('span');
    probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
    probe.textContent = td.innerText;
    td.appendChild(probe);
    const needs = Math.ceil(probe.getBoundingClientRect().width / room);
    probe.remove();
    return [td.innerText, lines, needs];
  }))"""


@pytest.mark.parametrize("width", [1024, 1366])
def test_the_help_pages_table_reads_at(width, app_url, browser, browser_page, shots):
    with browser_page(browser, timeout_ms=45_000,
                      viewport={"width": width, "height": 768}) as page:
        page.goto(f"{app_url}/help")
        table = page.locator("table")  # the page's one table
        expect(table).to_contain_text("Put a block between two others", timeout=120_000)
        table.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / f"help-table-{width}.png"))
        rows = page.evaluate(ROWS_JS)
        assert len(rows) == 7, rows
        broken = [action for (action, lines, _), _ in rows if lines != 1]
        assert not broken, f"at {width} px these actions break over lines: {broken}"
        wrapped = [(how, lines, needs) for _, (how, lines, needs) in rows if lines > needs]
        assert not wrapped, f"at {width} px these break more than their column needs: {wrapped}"
