import { test } from "node:test";
import assert from "node:assert/strict";
import { GROWTH, ROOM, placeNew } from "../src/placement.js";
import { COL_GAP } from "../src/layout.js";

const card = (x, y, width = 160, height = 100) => ({ x, y, width, height });

test("a block added from a wire dropped just under its source goes beside it, with room for the label", () => {
  const cards = new Map([["enc", card(0, 0)]]);
  // the pointer 10 px under enc's bottom right: the new card's input there
  const at = placeNew(card(164, 110, 160, 80), cards, { nodeId: "enc", handleType: "source" }, 50);
  assert.equal(at.x, 160 + Math.max(COL_GAP, 50 + 2 * 10 + 20));
  assert.equal(at.y, 110);
});

test("a wide label widens the gap; a drop far enough away stays where it was", () => {
  const cards = new Map([["enc", card(0, 0)]]);
  const wide = placeNew(card(170, 0, 160, 80), cards, { nodeId: "enc", handleType: "source" }, 120);
  assert.equal(wide.x, 160 + 120 + 2 * 10 + 20);
  const far = placeNew(card(400, 300, 160, 80), cards, { nodeId: "enc", handleType: "source" }, 50);
  assert.deepEqual(far, { x: 400, y: 300 });
});

test("a wire dragged back from an input puts the new block left of it", () => {
  const cards = new Map([["fc", card(400, 0)]]);
  const at = placeNew(card(300, 20, 160, 80), cards, { nodeId: "fc", handleType: "target" });
  assert.equal(at.x, 400 - COL_GAP - 160);
});

test("a double-click just under a block moves the new card below it, then below the next", () => {
  const cards = new Map([["a", card(0, 0)], ["b", card(0, 100 + ROOM + 40)]]);
  const at = placeNew(card(20, 90, 160, 80), cards, null);
  assert.equal(at.x, 20);
  assert.equal(at.y, 100 + ROOM + 40 + 100 + ROOM);
});

test("a wire dropped under its source, at the start of a new row, puts the block down there", () => {
  // conv2d2 ends a row on the right; the wire is dropped left, just under it, where the
  // next row starts: pushed beside conv2d2 the block went past the pane's right edge
  const cards = new Map([["conv2d2", card(250, 0, 200, 118)]]);
  const gap = Math.max(COL_GAP, 40 + 2 * 10 + 20);
  const at = placeNew(card(100, 120, 150, 56), cards, { nodeId: "conv2d2", handleType: "source" }, 40);
  assert.deepEqual(at, { x: 100, y: 118 + gap });
});

test("a block dropped beside its source where the gap would take it past the pane stays put", () => {
  // conv2d1 widened to 200 once drawn whole; the wire dropped 10 px right of it, near the
  // pane's right edge: moved a label's gap away, relu1 ran past the edge (seen at 1366x768)
  const cards = new Map([["conv2d1", card(240, 40, 200, 118)]]);
  const gap = Math.max(COL_GAP, 40 + 2 * 10 + 20);
  const view = { x: 0, y: 0, width: 684, height: 639 };
  const from = { nodeId: "conv2d1", handleType: "source" };
  assert.ok(440 + gap + 150 * GROWTH > 684);
  assert.deepEqual(placeNew(card(450, 70, 150, 56), cards, from, 40, view), { x: 450, y: 70 });
  // with room in the pane, or no pane given, moved beside as before
  const wide = { ...view, width: 2000 };
  assert.deepEqual(placeNew(card(450, 70, 150, 56), cards, from, 40, wide), { x: 440 + gap, y: 70 });
  assert.deepEqual(placeNew(card(450, 70, 150, 56), cards, from, 40), { x: 440 + gap, y: 70 });
});
