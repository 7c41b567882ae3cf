// The map of the design (Canvas.jsx DesignMap): how big it is drawn, which part of the design
// it shows, and how a drag on it moves the view. Pure functions, unit-tested in tests/.
//
// React Flow's MiniMap fits the whole design into a box of fixed size: a design stacked in one
// column (an imported ResNet, a 24-layer Transformer) drew as a thin strip, and the view's box
// in it was a few pixels, neither seen nor dragged. Here the map keeps its width, takes the
// design's shape up to a capped height, and where the view's box would still be too small to
// see and grab it shows the part of the design around the view, sliding along it as a
// scrollbar does (the view at the design's top: the map's top; at its foot: the map's foot).

export const MAP_WIDTH = 160; // px: the map's width, whatever the design's shape
export const MAP_MIN_HEIGHT = 60; // px: a wide, flat design's map
export const MAP_MAX_HEIGHT = 180; // px: a tall design's map (less in a short pane)
export const MAP_MIN_BOX = 28; // px: the least side of the view's box, to see and drag it
const MARGIN = 5; // px of the map left round the design, as React Flow's offsetScale

function union(a, b) {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

/**
 * Where one axis of the map starts (flow units) and how a drag along it moves the view: the
 * whole of `[start, start + size)` centred where it fits in `span` map units, else a window of
 * `span` that slides with the view (`view` at the start shows the start, at the end the end).
 * `rate`: flow units the view moves for one map unit of drag, so that the view's box stays
 * under the pointer while the window slides under it.
 */
function axis(start, size, viewStart, viewSize, span) {
  if (size <= span) return { from: start - (span - size) / 2, rate: 1 };
  const room = size - viewSize; // how far the view can travel along the design
  const t = room > 0 ? Math.min(1, Math.max(0, (viewStart - start) / room)) : 0;
  const slide = (size - span) / (room || 1); // window's move per unit of the view's
  return { from: start + (size - span) * t, rate: 1 / Math.max(1 - slide, 1e-6) };
}

/**
 * The map's frame: its size in px, the flow rectangle it shows and the scale between them.
 *
 * @param design  the blocks' bounds in flow coordinates {x, y, width, height} (null: none)
 * @param view    the part of the design the pane shows, in flow coordinates
 * @param paneHeight  the pane's height in px: the map takes at most a quarter of it, over
 *   the blocks it covers (at 1024×768 a third hid most of a card)
 * @param width  the map's width in px (narrower where that keeps it clear of the cards:
 *   offview.js mapPlace)
 * @returns {width, height, x, y, scale, whole, rate: {x, y}}: `width`×`height` px showing
 *   the flow rectangle at (x, y) of `width * scale` × `height * scale`; `whole` is false when
 *   it shows the part round the view; `rate` is the flow units the view moves per px dragged
 *
 * e.g. a column 200 wide and 9,000 tall seen through a 1000×800 view in a 600 px pane: a
 * 160×150 map that shows the part of the column round the view, the view's box 28 px tall.
 */
export function mapFrame(design, view, paneHeight = Infinity, width = MAP_WIDTH) {
  const all = design ? union(design, view) : view;
  const cap = Math.max(MAP_MIN_HEIGHT, Math.min(MAP_MAX_HEIGHT, Math.floor(paneHeight / 4)));
  const inner = (px) => px - 2 * MARGIN; // the map's px inside its margin
  const height = Math.round(
    Math.min(cap, Math.max(MAP_MIN_HEIGHT, (inner(width) * all.height) / all.width + 2 * MARGIN)),
  );
  let scale = Math.max(all.width / inner(width), all.height / inner(height));
  // the view's box no smaller than MAP_MIN_BOX: the map shows the part round the view
  const most = Math.min(view.width, view.height) / MAP_MIN_BOX;
  const whole = scale <= most;
  // (and never so large a box that it fills the map: a wide, short pane's)
  if (!whole) scale = Math.max(most, view.width / (0.8 * inner(width)), view.height / (0.8 * inner(height)));
  const ax = axis(all.x, all.width, view.x, view.width, inner(width) * scale);
  const ay = axis(all.y, all.height, view.y, view.height, inner(height) * scale);
  return {
    width,
    height,
    x: ax.from - MARGIN * scale,
    y: ay.from - MARGIN * scale,
    scale,
    whole,
    rate: { x: ax.rate * scale, y: ay.rate * scale },
  };
}

/** The view (flow coordinates) a pane of `width`×`height` px shows at viewport {x, y, zoom}. */
export function viewRect({ x, y, zoom }, width, height) {
  return { x: -x / zoom, y: -y / zoom, width: width / zoom, height: height / zoom };
}

/**
 * The viewport that puts the view's centre at flow point `p` (a click on the map), zoom kept.
 */
export function centredOn(p, { zoom }, width, height) {
  return { x: width / 2 - p.x * zoom, y: height / 2 - p.y * zoom, zoom };
}
