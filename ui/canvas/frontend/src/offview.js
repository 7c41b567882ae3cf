// Where the "blocks out of view" panel goes. Pure, unit-tested in tests/offview_place.test.js.
//
// The panel ("↓ 11 of 14 blocks out of view  Show next") sat in the pane's bottom-left corner
// whatever lay there: a design read down one column, cut by the pane's bottom edge, had the
// panel over the card it cut (a Conv2d's foot, its shape and param count, under it). It goes
// to the first corner where it covers no card; where every corner covers one, in its short
// form ("↓ 11 more", the rest in its tooltip) to the first corner where that covers none, else to
// the one where it covers least.

const MARGIN = 8; // px between the panel and the pane's edge (its CSS margin)

/** The corners the panel may take, in the order tried: its own first. */
export const CORNERS = ["bottom-left", "top-left", "top-right", "bottom-right"];

/** The panel's box on screen at `corner` of a `width` × `height` pane. */
export function cornerBox(corner, size, width, height) {
  const left = corner.endsWith("left");
  const top = corner.startsWith("top");
  return {
    x: left ? MARGIN : width - MARGIN - size.w,
    y: top ? MARGIN : height - MARGIN - size.h,
    w: size.w,
    h: size.h,
  };
}

function overlap(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * The corner of the pane for the panel: the first of CORNERS (less those in `taken`: the map's)
 * where its box covers none of the cards, else the one where it covers the least of them.
 *
 * @param rects   the cards' boxes in flow coordinates [{x, y, width, height}]
 * @param view    {x, y, zoom}: the flow's transform
 * @param width   the pane's width (px), `height` its height
 * @param size    the panel's size {w, h} (px)
 * @param taken   corners something else holds (the design map: "bottom-right")
 */
export function panelCorner(rects, view, width, height, size, taken = []) {
  return cornerFor(rects, view, width, height, size, CORNERS.filter((c) => !taken.includes(c)));
}

/** The first of `free` where a box of `size` covers no card, else the one covering least. */
function cornerFor(rects, view, width, height, size, free) {
  if (!view || ![view.x, view.y, view.zoom].every(Number.isFinite) || !free.length) return free[0] || CORNERS[0];
  const cards = (rects || [])
    .filter((r) => r && [r.x, r.y, r.width, r.height].every(Number.isFinite))
    .map((r) => ({ x: r.x * view.zoom + view.x, y: r.y * view.zoom + view.y, w: r.width * view.zoom, h: r.height * view.zoom }));
  let best = free[0];
  let least = Infinity;
  for (const corner of free) {
    const box = cornerBox(corner, size, width, height);
    const covered = cards.reduce((sum, c) => sum + overlap(box, c), 0);
    if (covered === 0) return corner;
    if (covered < least) {
      least = covered;
      best = corner;
    }
  }
  return best;
}

/**
 * Where the panel goes and in which form: `{corner, compact}`, the whole panel in the first
 * corner where it covers no card, else its short form (`sizes.compact`) in the first corner
 * where that covers none, else the short form where it covers least (panelCorner).
 *
 * @param sizes  {full: {w, h}, compact: {w, h}}: the panel's size in each form (px)
 */
export function panelPlace(rects, view, width, height, sizes, taken = []) {
  const full = panelCorner(rects, view, width, height, sizes.full, taken);
  if (covers(rects, view, cornerBox(full, sizes.full, width, height)) === 0) return { corner: full, compact: false };
  return { corner: panelCorner(rects, view, width, height, sizes.compact, taken), compact: true };
}

function covers(rects, view, box) {
  if (!view || ![view.x, view.y, view.zoom].every(Number.isFinite)) return 0;
  let sum = 0;
  for (const r of rects || []) {
    if (!r || ![r.x, r.y, r.width, r.height].every(Number.isFinite)) continue;
    sum += overlap(box, { x: r.x * view.zoom + view.x, y: r.y * view.zoom + view.y, w: r.width * view.zoom, h: r.height * view.zoom });
  }
  return sum;
}

/** The corners the design's map may take, in the order tried: its own first. */
export const MAP_CORNERS = ["bottom-right", "top-right", "bottom-left", "top-left"];

/** The narrowest the map is drawn to stay clear of the cards (px), and the step tried down to it. */
export const MAP_NARROWEST = 112;
const MAP_STEP = 8;

/**
 * Where the design's map goes and how wide it is drawn. The map in the pane's bottom-right
 * corner whatever lay there covered a card on arrival (at 1366×768 the design note's Keras CNN
 * opened with it over its Linear block, the one that says to add a Flatten). It goes to the first
 * of MAP_CORNERS where it covers no card; where it covers one in every corner, to the first where
 * it does not at a narrower width (down to MAP_NARROWEST: the strip beside a design's column of
 * cards); else, its whole width, where it covers least. The "Map" button that shows it again
 * when the user hides it goes to the first corner where it covers no card.
 *
 * @param sizeAt  the map's size on screen {w, h} (px) when drawn `width` px wide
 * @param widest  the map's own width (px)
 * @param button  the "Map" button's size {w, h} (px)
 * @returns {map, width, button}: the map's corner, its width, the button's corner
 */
export function mapPlace(rects, view, width, height, sizeAt, widest, button) {
  const at = (corner, w) => covers(rects, view, cornerBox(corner, sizeAt(w), width, height));
  const buttonCorner = cornerFor(rects, view, width, height, button, MAP_CORNERS);
  const whole = cornerFor(rects, view, width, height, sizeAt(widest), MAP_CORNERS);
  if (at(whole, widest) === 0) return { map: whole, width: widest, button: buttonCorner };
  for (const corner of MAP_CORNERS) {
    for (let w = widest - MAP_STEP; w >= MAP_NARROWEST; w -= MAP_STEP) {
      if (at(corner, w) === 0) return { map: corner, width: w, button: buttonCorner };
    }
  }
  return { map: whole, width: widest, button: buttonCorner };
}
