// Where the design's map goes: in a corner clear of the cards, narrower where that keeps it clear.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAP_NARROWEST, cornerBox, mapPlace } from "../src/offview.js";

const view = { x: 0, y: 0, zoom: 1 };
const BUTTON = { w: 56, h: 26 };
const sizeAt = (w) => ({ w: w + 2, h: 127 }); // the map's box at a width (px)

const clear = (box, cards) =>
  cards.every((c) => !(box.x < c.x + c.width && c.x < box.x + box.w && box.y < c.y + c.height && c.y < box.y + box.h));

// the design note's Keras CNN as a newcomer wires it (no Flatten), at 1366×768 with the palette
// open (a 631×507 pane), laid out two to a row at 75 %: a card in every corner the whole map
// (162 px) would take, the Linear card (fc) where it was drawn, and a strip 141 px wide clear
// of cards down the pane's right side
const KERAS = [
  { id: "image", x: 128, y: 35, width: 112, height: 76 },
  { id: "conv1", x: 346, y: 27, width: 142, height: 91 },
  { id: "relu1", x: 128, y: 172, width: 112, height: 40 },
  { id: "pool1", x: 353, y: 157, width: 116, height: 74 },
  { id: "conv2", x: 128, y: 267, width: 149, height: 91 },
  { id: "relu2", x: 353, y: 292, width: 112, height: 40 },
  { id: "pool2", x: 128, y: 397, width: 116, height: 74 },
  { id: "fc", x: 340, y: 402, width: 131, height: 62 },
  { id: "probs", x: 128, y: 505, width: 112, height: 40 },
];

test("a card in every corner at the map's width: narrower in the first corner that clears them", () => {
  assert.ok(!clear(cornerBox("bottom-right", sizeAt(160), 631, 507), KERAS), "the old place covers fc");
  const place = mapPlace(KERAS, view, 631, 507, sizeAt, 160, BUTTON);
  assert.equal(place.map, "bottom-right");
  assert.ok(place.width < 160 && place.width >= MAP_NARROWEST, place.width);
  assert.ok(clear(cornerBox(place.map, sizeAt(place.width), 631, 507), KERAS));
  assert.ok(clear(cornerBox(place.button, BUTTON, 631, 507), KERAS));
});

test("the bottom-right corner free: the whole map there, as before", () => {
  const column = Array.from({ length: 6 }, (_, i) => ({ x: 20, y: 20 + 140 * i, width: 150, height: 130 }));
  assert.deepEqual(mapPlace(column, view, 630, 500, sizeAt, 160, BUTTON), { map: "bottom-right", width: 160, button: "bottom-right" });
});

test("a card under the bottom-right corner only: the whole map in the first corner clear of cards", () => {
  const cards = [
    { x: 20, y: 20, width: 150, height: 130 },
    { x: 20, y: 380, width: 150, height: 110 },
    { x: 380, y: 400, width: 250, height: 90 },
  ];
  const place = mapPlace(cards, view, 630, 500, sizeAt, 160, BUTTON);
  assert.deepEqual(place, { map: "top-right", width: 160, button: "top-right" });
});

test("cards in every corner, too close to the edges for a narrower map: the whole map where it covers least", () => {
  const wall = [
    { x: 0, y: 0, width: 630, height: 200 }, // the whole top band
    { x: 0, y: 300, width: 630, height: 150 }, // a band low down, the corners' top edge cut
    { x: 500, y: 480, width: 130, height: 20 }, // a little more at the bottom right
  ];
  const place = mapPlace(wall, view, 630, 500, sizeAt, 160, BUTTON);
  assert.deepEqual(place, { map: "bottom-left", width: 160, button: "bottom-left" });
});

test("the cards drawn at a zoom: the map's box is reckoned on screen", () => {
  // a card at flow (500, 400) is at screen (250, 200) at 50 %: clear of every corner
  const place = mapPlace([{ x: 500, y: 400, width: 200, height: 200 }], { x: 0, y: 0, zoom: 0.5 }, 630, 500, sizeAt, 160, BUTTON);
  assert.deepEqual(place, { map: "bottom-right", width: 160, button: "bottom-right" });
});

test("no view yet: the whole map in its own corner", () => {
  assert.deepEqual(mapPlace(KERAS, null, 630, 500, sizeAt, 160, BUTTON), { map: "bottom-right", width: 160, button: "bottom-right" });
});
