// The canvas's own height and the availability of undo and redo. Pure functions, unit-tested
// in tests/frame.test.js: Canvas.jsx applies what they decide.

/**
 * The height of a canvas that fills the browser window: from its top (`top`, in the page's
 * coordinates, scrolling left out) down to `below` px above the window's bottom edge (room for
 * what follows it, say a status bar), but never less than `min` (the canvas stays readable in
 * a small window: the page then scrolls). `fallback` when the window cannot be measured.
 */
export function fittedHeight({ innerHeight, top, below = 0, min = 0, fallback }) {
  if (![innerHeight, top].every(Number.isFinite) || innerHeight <= 0) return fallback;
  return Math.max(Math.round(min) || 0, Math.floor(innerHeight - top - (below || 0)));
}

/**
 * The height the canvas takes now (the `fit_window` args: {min, below}; without them
 * `height`), measured in the window holding its frame (the app's page; the frame is of the
 * same origin). `fallback` where that page cannot be reached (another origin: a dev server).
 */
export function frameHeight(fit, fallback) {
  if (!fit) return fallback;
  try {
    const frame = window.frameElement;
    const host = window.parent;
    if (!frame || !host || host === window) return fallback;
    // the frame's top in the page: where it is on screen plus what every box above it has
    // scrolled (Streamlit scrolls its main section, not the window)
    let scrolled = host.scrollY || 0;
    for (let el = frame.parentElement; el; el = el.parentElement) scrolled += el.scrollTop || 0;
    const top = frame.getBoundingClientRect().top + scrolled;
    return fittedHeight({ innerHeight: host.innerHeight, top, below: fit.below, min: fit.min, fallback });
  } catch {
    return fallback; // another origin
  }
}

/**
 * Whether Undo and Redo can do anything: `canUndo` / `canRedo` as Python says (its history of
 * this session; undefined: not said, so available), or because of events the canvas has sent
 * that Python has not answered yet (a change can be undone, an undo redone). A change the
 * canvas made by itself (`arranged`: blocks that arrived over each other moved apart) is no
 * undo step: a design just opened had Undo on, and kept it on once that change was saved.
 */
export function history(canUndo, canRedo, queue) {
  const kinds = new Set((queue || []).filter((e) => e && !e.arranged).map((e) => e.event));
  return {
    undo: canUndo !== false || kinds.has("change") || kinds.has("redo") || kinds.has("group"),
    redo: canRedo !== false || kinds.has("undo"),
  };
}
