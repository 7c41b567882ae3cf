// Where search-to-add puts a new block: at the pointer, but never tight against another card.
// A block added by a wire dropped close to the block it came from went right under it (10 px
// apart), the wire between them too short for its shape label ("…" only), and a double-click
// just under a block put the new card over its bottom edge.
import { COL_GAP, LABEL_CLEAR } from "./layout.js";

// clear space kept around a new card: a wire between it and a neighbour, with its label
export const ROOM = 44;
// how much wider a new card may draw once Python's answer brings its shape and parameter badges
export const GROWTH = 1.35;

function near(a, b, room) {
  return (
    a.x < b.x + b.width + room &&
    b.x < a.x + a.width + room &&
    a.y < b.y + b.height + room &&
    b.y < a.y + a.height + room
  );
}

/**
 * The top-left corner for a new card `rect` ({x, y, width, height}, where the pointer put it)
 * among `cards` (id → {x, y, width, height}). `from` ({nodeId, handleType}) is the wire it was
 * opened from, if any, and `labelW` the pixel width of the label that wire will carry (0 when
 * not known yet). A card that comes within ROOM of the block at the wire's other end goes
 * beside it, on its side of the wire, a gap wide enough for the label away (or, dropped mostly
 * under that block, that gap below it); one that comes within ROOM of any card then moves
 * down, past it.
 */
export function placeNew(rect, cards, from, labelW = 0, view = null) {
  let { x, y } = rect;
  const { width, height } = rect;
  let end = from ? cards.get(from.nodeId) : null;
  const gap = Math.max(COL_GAP, labelW + 2 * LABEL_CLEAR + 20);
  if (end && view && near({ x, y, width, height }, end, ROOM)) {
    // dropped beside its source (level with it), where a gap for the label would put it past the visible
    // pane's edge (`view`, flow units; a card widens by GROWTH once its shape and params
    // come): it stays where the user dropped it, its wire short, rather than out of sight
    const middle = end.x + end.width / 2;
    const source = from.handleType === "source";
    const besideX = source ? end.x + end.width + gap : end.x - gap - width;
    const level = y + height / 2 >= end.y && y + height / 2 <= end.y + end.height;
    const beside = level && (source ? x >= middle : x + width <= middle);
    const outside = source ? besideX + width * GROWTH > view.x + view.width : besideX < view.x;
    if (beside && outside) end = null;
  }
  if (end && near({ x, y, width, height }, end, ROOM)) {
    // beside the block, on its side of the wire; but a card dropped mostly under it (the start
    // of a new row) goes down instead, where the user put it: pushed beside, it left the
    // pane's edge behind (seen at 1366x768 building the seed CNN row by row)
    const middle = end.x + end.width / 2;
    const under = from.handleType === "source" ? x < middle : x + width > middle;
    if (under) y = Math.max(y, end.y + end.height + gap);
    else if (from.handleType === "source") x = Math.max(x, end.x + end.width + gap);
    else x = Math.min(x, end.x - gap - width);
  }
  const kept = from && !end ? cards.get(from.nodeId) : null; // its source, left close (above)
  for (let tries = 0; tries < 100; tries++) {
    const box = { x, y, width, height };
    let hit = null;
    for (const card of cards.values()) if (card !== kept && near(box, card, ROOM)) hit = card;
    if (!hit) break;
    y = hit.y + hit.height + ROOM;
  }
  return { x: Math.round(x), y: Math.round(y) };
}
