// Where a pop-up of the canvas (a block's or the pane's menu, search-to-add) stands: at the
// pointer, moved left and up as far as it needs to stand whole inside the pane. Measured once
// drawn, as its size depends on what it lists: a menu placed by a guess of its size ran past
// the pane's right edge ("Dupli", "Delet" on a block near it), and search-to-add scrolled the
// whole canvas sideways (palette and toolbar cut off) to show its box. The geometry
// (viewport.js keepInside) is pure, so that node's tests run it without React.
import { useLayoutEffect, useState } from "react";

import { keepInside } from "./viewport.js";

/**
 * The place of the pop-up drawn in `ref` and asked for at (`x`, `y`) in its offset parent
 * (the pane): measured before the browser paints, and again whenever its size changes (the
 * search's list shortens as one types).
 */
export function usePlacedInside(ref, x, y) {
  const [pos, setPos] = useState({ x, y });
  useLayoutEffect(() => {
    const el = ref.current;
    const pane = el && el.offsetParent;
    const next = el && pane
      ? keepInside(x, y, el.offsetWidth, el.offsetHeight, pane.clientWidth, pane.clientHeight)
      : { x, y };
    setPos((p) => (p.x === next.x && p.y === next.y ? p : next));
  });
  return pos;
}
