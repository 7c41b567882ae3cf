"""Light and dark themes: the toggle sets the canvas's theme, the model graph's colours and
Streamlit's own theme.

Streamlit has no Python call to switch its theme for one browser; its settings menu stores the
choice in the browser (``localStorage``) and applies it on load. So, when the page's background
does not match the chosen theme, a small script stores the choice the same way and reloads the
page once; the design is saved on every change and the URL names the project, so nothing is lost.
If a later Streamlit stores the choice elsewhere, only the page chrome stays as it was (the script
never reloads twice in a row).
"""

from __future__ import annotations

import streamlit as st

from .fields import whole
from .state import DesignerState

FOCUS = "#1c83e1"  # a focused box's border: Streamlit's own blue, clear on light and dark
CSS = """
<style>
/* the keep-typing script's container (ui/keep_typing.py) and the browser id cookie's (app.py)
   take no room, nor a gap */
div:has(> .st-key-keep_typing), .st-key-keep_typing,
div:has(> .st-key-browser_cookie), .st-key-browser_cookie { display: none; }
/* room for the canvas: less padding above the page, but enough that the project bar, the
   page's first row, clears the navigation bar over it (60 px high) by 7 px on every page */
.block-container { padding-top: 4.2rem; padding-bottom: 1.5rem; }
/* a window narrower than 1300 px: the page's sides as the navigation bar's (1rem, not
   Streamlit's 5rem), the project bar's gaps and picker narrower, so that the bar keeps to one
   line (at 1024 px its Snapshots and Dark theme went onto a second) and the canvas is wide
   enough for a template's three columns at the readable zoom (resnet-mini's third was cut) */
@media (max-width: 1299.98px) {
  .block-container { padding-left: 1rem !important; padding-right: 1rem !important; }
  .st-key-appbar { gap: 0.5rem !important; }
  .st-key-appbar [class*="st-key-project-"] { flex: 0 0 200px !important;
    width: 200px !important; }
}
/* an element that only runs a script (the browser's id cookie, set on a first visit) takes no
   room, nor a gap: the project bar stood 16 px lower on a first visit than on any later one,
   where its top was under the navigation bar */
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script:only-child) {
  display: none; }
/* tertiary buttons of the problem list read as a list, left-aligned */
.st-key-problems button, .st-key-problems-pop button { justify-content: flex-start;
  text-align: left; }
.st-key-problems button p, .st-key-problems-pop button p { font-size: 0.9rem; }
/* the status bar: one quiet line */
.st-key-statusbar { padding: 0.35rem 0.9rem; }
.st-key-statusbar p { margin: 0; white-space: nowrap; }
/* Streamlit pulls a markdown block up by its paragraph's margin, which is 0 here */
.st-key-statusbar [data-testid="stMarkdownContainer"] { margin-bottom: 0; }
/* the verdict that opens the problems is a line of text, not a 40 px button: as one, it made
   the bar 53 px tall, its lower edge below a 768 px window (the canvas fills the window down to
   a bar of one line) */
.st-key-statusbar [data-testid="stPopover"] button { min-height: 0; padding-top: 0;
  padding-bottom: 0; }
/* a bar narrower than its items (1024 px, with '12 errors' and warnings, or 8-digit params
   and warnings) sent 'activations per sample' onto a second line, below the window: there its
   text is smaller */
.st-key-statusbar { container-type: inline-size; gap: 0.75rem !important; }
@container (max-width: 760px) {
  .st-key-statusbar p, .st-key-statusbar [data-testid="stPopover"] button p {
    font-size: 0.8rem; }
  .st-key-statusbar [data-testid="stMarkdownContainer"] span[data-testid="stIconMaterial"],
  .st-key-statusbar [data-testid="stPopover"] span[data-testid="stIconMaterial"] {
    font-size: 1rem; }
}
.st-key-sidepanel { max-height: 860px; overflow-y: auto; padding-right: 0.25rem; }
/* focus: a blue ring, not the theme's primary red, which reads as an error (red is kept for
   errors); the same on every kind of box */
[data-testid="stTextInputRootElement"]:focus-within,
[data-testid="stTextAreaRootElement"]:focus-within,
[data-testid="stNumberInputContainer"]:focus-within,
[data-testid="stSelectbox"] div:focus-within,
[data-testid="stMultiSelect"] div:focus-within { border-color: %(focus)s !important; }
/* a product, not a developer's script: no Deploy button, main menu, "running" figure or
   rainbow line (the server's client.toolbarMode is "minimal" too; no option hides the rest) */
[data-testid="stAppDeployButton"], [data-testid="stMainMenu"], [data-testid="stStatusWidget"],
[data-testid="stDecoration"] { display: none !important; }
/* a toast stays over the side panel, never over the canvas's blocks: Streamlit puts toasts in
   the window's right corner 21rem wide, which reaches over the canvas column in a window
   narrower than about 1150 px; at most 26%% of the window, a toast keeps within the side
   column (its 1.25 of 4.55 of the page, less the margins) in any window that shows the columns
   side by side (640 px and more) */
[data-testid="stToast"] { width: min(21rem, 26vw) !important; }
/* a multiselect's chips wrap onto lines of their own, each whole: Streamlit keeps them on
   one line that scrolls sideways, faded at the edge, so the Runs page's compare picker showed
   one long run name and cut the next ("sentiment-classifier-… #4 · learning r") */
[data-testid="stMultiSelect"] .react-aria-ComboBox > div[role="group"] {
  height: auto !important; max-height: none !important; }
[data-testid="stMultiSelectTagsContainer"] { flex-wrap: wrap !important; height: auto !important;
  overflow: visible !important; mask-image: none !important; -webkit-mask-image: none !important;
  row-gap: 4px; padding-top: 4px; padding-bottom: 4px; }
/* a tile's value and label wrap onto another line rather than end in "…": the Data page's
   "[1, 28, 28] f…" and "3500 / 500 …" in a quarter of a 1024 px window */
[data-testid="stMetricValue"] .stMarkdownEllipsis, [data-testid="stMetricValue"] p,
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
</style>
""" % {"focus": FOCUS}

_SYNC = """
<script>
(() => {
  const want = "%(name)s";
  const el = document.querySelector(".stApp") || document.body;
  const rgb = (getComputedStyle(el).backgroundColor.match(/[0-9.]+/g) || [255, 255, 255]);
  const dark = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255 < 0.5;
  if (dark === (want === "Dark")) return;
  const tried = sessionStorage.getItem("layerloom-theme-reload");
  if (tried && tried.split("|")[0] === want && Date.now() - Number(tried.split("|")[1]) < 15000) return;
  sessionStorage.setItem("layerloom-theme-reload", want + "|" + Date.now());
  localStorage.setItem("stActiveTheme-" + window.location.pathname + "-v2", JSON.stringify(want));
  window.location.reload();
})();
</script>
"""


def style() -> None:
    st.html(CSS)


def toggle(state: DesignerState) -> None:
    """The theme switch of the project bar."""
    key = f"theme:{state.theme}"
    st.toggle("Dark theme", value=state.theme == "dark", key=key, on_change=_set,
              args=(state, key))


def sync(state: DesignerState) -> None:
    """Bring Streamlit's own theme in line with the switch (an empty element: draw it last)."""
    st.html(_SYNC % {"name": "Dark" if state.theme == "dark" else "Light"},
            unsafe_allow_javascript=True)


@whole
def _set(state: DesignerState, key: str) -> None:
    state.set_theme("dark" if st.session_state[key] else "light")
