"""Text being typed survives the re-creation of its box and the page being closed (and a
checkbox's "?" does not tick it).

Streamlit keeps what is typed into a text or number box in the browser until Enter or a click
elsewhere commits it; when a run re-creates the box before that (the inspector drawn for a block
just dropped, then again for the block clicked next, while the user types into the form still on
the page), the text and the focus are gone: the user's Enter then commits nothing. A small script
in the page notes the text typed into a keyed box and, when a box of the same field (the same key,
but for the digest of a value-keyed widget) showing the same stored value replaces it, puts the
text back, marked as typed, with the focus where it was. Enter then commits it as usual; the
server still checks the edit against the value the box showed
(:func:`layerloom.ui.fields.changed`).

Only keyed boxes are followed (the inspector's are keyed by the value they show:
:func:`layerloom.ui.fields.drawn`), and only into a box of the same field still showing the value
the typing began from: text is never carried into a box whose stored value changed meanwhile,
nor kept once committed (Enter, a click elsewhere), once the user has gone on elsewhere (the focus
in another place) or after ``FORGET_MS`` without typing.

Closing the tab (or reloading, or leaving the app) with such text typed and not committed
commits it (the box is left, as a click elsewhere does) and has the browser ask first ("Leave
site?"), so that the edit reaches the server and is saved rather than gone with the page.
"""

from __future__ import annotations

import streamlit as st

FORGET_MS = 20_000

_SCRIPT = """
<script>
(() => {
  if (window.__layerloomTyping) return;
  const FORGET_MS = %(forget)d;
  const keep = window.__layerloomTyping = { rec: null, story: [], retry: null };
  const say = (what) => {
    keep.story.push([Math.round(performance.now()), what]);
    if (keep.story.length > 40) keep.story.shift();
  };
  const BOX = 'input[type="text"], input[type="number"], input:not([type]), textarea';
  // the key of the widget a box belongs to: the st-key-... class of its element container
  const keyOf = (el) => {
    const holder = el.closest('[data-testid="stElementContainer"]');
    const cls = holder && [...holder.classList].find((c) => c.startsWith("st-key-"));
    return cls || null;
  };
  // a value-keyed widget's key ends in a digest of the value it was first drawn with; one that
  // a run draws anew can carry another digest while it shows the same value (the value check
  // below is what makes it the same field's box)
  const baseOf = (key) => key.replace(/-[0-9a-f]{8}$/, "");
  const boxesOf = (key) => {
    const base = baseOf(key);
    return [...document.querySelectorAll('[class*="' + CSS.escape(base) + '"]')]
      .filter((holder) => { const k = keyOf(holder); return k && baseOf(k) === base; })
      .flatMap((holder) => [...holder.querySelectorAll(BOX)]);
  };
  const setText = (el, text) => {
    const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement : HTMLInputElement;
    Object.getOwnPropertyDescriptor(proto.prototype, "value").set.call(el, text);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  };
  // typing begins in a box: note its key and the value it showed (a box that keeps the focus
  // after Enter begins again with its next keystroke)
  const begin = (el) => {
    if (!(el instanceof Element) || !el.matches(BOX) || el.disabled || el.readOnly) return;
    if (keep.rec && keep.rec.el === el) return;
    const key = keyOf(el);
    if (keep.rec && keep.rec.dirty && key && baseOf(key) === baseOf(keep.rec.key) &&
        el.value === keep.rec.text) {
      keep.rec.el = el;  // focus given back to the box that took over the text
      return;
    }
    keep.rec = key ? { key, el, initial: el.value, text: el.value, dirty: false,
                       at: performance.now(), carried: [] } : null;
  };
  document.addEventListener("focusin", (e) => begin(e.target), true);
  document.addEventListener("beforeinput", (e) => begin(e.target), true);
  document.addEventListener("input", (e) => {
    const rec = keep.rec;
    if (!rec || e.target !== rec.el || !e.isTrusted) return;
    rec.text = rec.el.value;
    rec.dirty = rec.text !== rec.initial;
    rec.at = performance.now();
    // a box that took the text while this one is still on the page follows what is typed
    for (const el of rec.carried) if (el.isConnected && el !== rec.el) setText(el, rec.text);
  }, true);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && keep.rec && e.target === keep.rec.el) keep.rec = null;  // committed
  }, true);
  document.addEventListener("focusout", (e) => {
    const rec = keep.rec, el = e.target;
    if (!rec || el !== rec.el) return;
    // a box removed from the page may lose its focus on the way out: the text is not committed
    // then; a box left for another place commits it (Streamlit commits on blur)
    setTimeout(() => { if (keep.rec === rec && rec.el === el && el.isConnected) keep.rec = null; }, 0);
  }, true);
  const carry = () => {
    const rec = keep.rec;
    if (!rec || !rec.dirty) return;
    if (performance.now() - rec.at > FORGET_MS) { keep.rec = null; return; }
    // gone: removed, or its node taken over by another widget (React can reuse a node in place)
    const gone = !rec.el.isConnected || keyOf(rec.el) !== rec.key;
    const focused = document.activeElement;
    if (gone && focused && focused !== document.body && focused !== rec.el) {
      keep.rec = null;  // the user has gone on elsewhere
      return;
    }
    for (const el of boxesOf(rec.key)) {
      if (el === rec.el || el.disabled) continue;
      if (el.value === rec.initial) {
        setText(el, rec.text);
        rec.carried.push(el);
        say("carried " + JSON.stringify(rec.text) + " into a new " + rec.key);
      } else if (!rec.carried.includes(el)) {
        continue;
      }
      if (gone) {  // the focus went with the old box: it comes back in the one holding the text
        el.focus();
        if (typeof el.setSelectionRange === "function" && el.type !== "number") {
          el.setSelectionRange(rec.text.length, rec.text.length);
        }
        rec.el = el;
        rec.carried = rec.carried.filter((c) => c !== el && c.isConnected);
        return;
      }
    }
    // no box for the text yet (or one still being filled in by its run): look again shortly
    if (gone && !keep.retry) {
      keep.retry = setTimeout(() => { keep.retry = null; carry(); }, 100);
    }
  };
  new MutationObserver(carry).observe(document.body, { childList: true, subtree: true });
  // Closing or leaving the page with text typed and not committed (no Enter, no click
  // elsewhere yet): the box is left, which commits it as a click elsewhere would, and the
  // browser asks before the page goes (its "Leave site?"), so that the edit is saved, not lost
  // with the page.
  window.addEventListener("beforeunload", (e) => {
    const rec = keep.rec;
    if (!rec || !rec.dirty || !rec.el.isConnected || rec.el.value !== rec.text) return;
    say("asked before leaving with " + JSON.stringify(rec.text) + " typed in " + rec.key);
    rec.el.blur();
    e.preventDefault();
    e.returnValue = "";
  });
  // A click on the "?" beside a checkbox or a toggle shows its help and must not tick the box:
  // the icon sits inside the widget's label, whose clicks the browser hands on to the box (an
  // "early stopping" ticked unseen while reading its help).
  document.addEventListener("click", (e) => {
    const icon = e.target.closest && e.target.closest('[data-testid="stTooltipIcon"]');
    if (icon && icon.closest("label")) { e.preventDefault(); e.stopPropagation(); }
  }, true);
})();
</script>
"""


def install() -> None:
    """Put the script in the page (once per page load; drawn on every run at the same place),
    in a hidden container: an empty element would still take a gap of the page's column."""
    with st.container(key="keep_typing"):
        st.html(_SCRIPT % {"forget": FORGET_MS}, unsafe_allow_javascript=True)
