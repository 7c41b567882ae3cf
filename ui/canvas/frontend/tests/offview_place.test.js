// Where the "blocks out of view" panel goes: never over a card where a corner is free.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cornerBox, panelCorner, panelPlace } from "../src/offview.js";

const SIZE = { w: 300, h: 31 };
const view = { x: 0, y: 0, zoom: 1 };

const clear = (box, cards) =>
  cards.every((c) => !(box.x < c.x + c.width && c.x < box.x + box.w && box.y < c.y + c.height && c.y < box.y + box.h));
const SIZES = { full: SIZE, compact: { w: 130, h: 31 } };

test("a column down the middle of a narrow pane: the panel, short, in a corner clear of it", () => {
  // the designer at 1366x768: a 630×500 pane, cards 150×130 down x = 240..390, the last cut by
  // the bottom edge; the whole panel (300 px) covers a card in every corner
  const column = Array.from({ length: 6 }, (_, i) => ({ x: 240, y: 20 + 140 * i, width: 150, height: 130 }));
  assert.ok(!clear(cornerBox("bottom-left", SIZE, 630, 500), column), "the old place covers a card");
  const place = panelPlace(column, view, 630, 500, SIZES, ["bottom-right"]);
  assert.deepEqual(place, { corner: "bottom-left", compact: true });
  assert.ok(clear(cornerBox(place.corner, SIZES.compact, 630, 500), column));
});

test("a column at the pane's left: the whole panel goes to a corner clear of it", () => {
  const column = Array.from({ length: 6 }, (_, i) => ({ x: 20, y: 20 + 140 * i, width: 150, height: 130 }));
  assert.deepEqual(panelPlace(column, view, 630, 500, SIZES, ["bottom-right"]), { corner: "top-right", compact: false });
});

test("nothing under the bottom-left corner: the panel stays there", () => {
  const cards = [{ x: 400, y: 0, width: 150, height: 600 }];
  assert.equal(panelCorner(cards, view, 630, 500, SIZE, ["bottom-right"]), "bottom-left");
  assert.equal(panelCorner([], null, 630, 500, SIZE), "bottom-left");
});

test("every corner covers a card: the one that covers least, never one taken", () => {
  const wall = [
    { x: 0, y: 0, width: 630, height: 200 }, // the whole top band
    { x: 0, y: 460, width: 100, height: 40 }, // a little at the bottom left
    { x: 330, y: 400, width: 300, height: 100 }, // the bottom right, where the map is
  ];
  assert.equal(panelCorner(wall, view, 630, 500, SIZE, ["bottom-right"]), "bottom-left");
  assert.equal(panelCorner(wall, { x: 0, y: 0, zoom: 1 }, 630, 500, SIZE, []), "bottom-left");
  const left = [{ x: 0, y: 0, width: 320, height: 500 }];
  assert.equal(panelCorner(left, view, 630, 500, SIZE, ["bottom-right"]), "top-right");
});

test("the cards are where the view draws them: pan and zoom count", () => {
  const card = [{ x: 0, y: 0, width: 100, height: 100 }];
  // drawn at (0, 400) to (50, 450) by zoom 0.5 and a pan down 400: under the bottom-left panel
  assert.equal(panelCorner(card, { x: 0, y: 420, zoom: 0.5 }, 630, 500, SIZE, ["bottom-right"]), "top-left");
});
