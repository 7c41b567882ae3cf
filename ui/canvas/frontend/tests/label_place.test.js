// Wire labels on a design laid out by hand: none is covered by a card (the cards are drawn over
// the labels, so a label wider than the gap between two cards showed its clipped middle: "2×1×1"
// for 32×1×10), none covers another; a label with no room on its wire is a short mark whose
// tooltip has the text (placeLabels in src/wires.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { BRIEF_PAD_W, wireLabelForms, wireLabelSize } from "../src/format.js";
import { cardGrid, labelPoint, placeLabels, wireSegments } from "../src/wires.js";

const card = (x, y, w = 200, h = 80) => ({ x0: x, y0: y, x1: x + w, y1: y + h });
const wire = (id, text, sx, sy, tx, ty, route) => ({
  id,
  segments: wireSegments(sx, sy, tx, ty, route),
  ...wireLabelSize(text),
  forms: wireLabelForms(text).slice(1).map((t) => wireLabelSize(t, BRIEF_PAD_W)),
});
const box = (p, w, h) => ({ x0: p.x - w / 2, x1: p.x + w / 2, y0: p.y - h / 2, y1: p.y + h / 2 });
const overlap = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

test("a label wider than the gap between its cards is a short mark between them, not clipped", () => {
  // Linear then Output 40 px apart (the tester's 32×1×10)
  const cards = [card(0, 0), card(240, 0)];
  const w = wire("linear1-output1", "32×1×10", 200, 40, 240, 40);
  const at = placeLabels([w], cards).get("linear1-output1");
  assert.equal(at.whole, false);
  const mark = box(at, 22, 20);
  for (const c of cards) assert.ok(!overlap(mark, { ...c, x0: c.x0 - 5, x1: c.x1 + 5 }), JSON.stringify(mark));
});

test("a label that fits sits at its usual place, whole", () => {
  const cards = [card(0, 0), card(320, 0)];
  const w = wire("a-b", "32×1×10", 200, 40, 320, 40);
  const at = placeLabels([w], cards).get("a-b");
  assert.equal(at.whole, true);
  const [x, y] = labelPoint(w.segments);
  assert.deepEqual([at.x, at.y], [x, y]);
});

test("a label whose usual place is under a card moves along its wire to where it is clear", () => {
  // a wire back to the next row, its longest level run passing under a card in the middle
  const cards = [card(0, 0), card(600, 0), card(260, 120, 200, 60), card(0, 240)];
  const route = [[800, 40], [820, 40], [820, 150], [-20, 150], [-20, 280], [0, 280]];
  const w = wire("b-c", "32×28×28", 800, 40, 0, 280, route);
  const at = placeLabels([w], cards).get("b-c");
  assert.equal(at.whole, true);
  const b = box(at, w.w, w.h);
  for (const c of cards) assert.ok(!overlap(b, { ...c, x0: c.x0 - 5, x1: c.x1 + 5 }), `${JSON.stringify(b)} under ${JSON.stringify(c)}`);
});

test("labels that would cover each other are placed apart (a skip beside a wire)", () => {
  // two wires side by side, 10 px apart, between the same columns (the tester's '32×28×#')
  const cards = [card(0, 0, 200, 200), card(500, 0, 200, 200)];
  const a = wire("conv-add", "#2 32×28×28", 200, 90, 500, 90);
  const b = wire("relu-add", "32×28×28", 200, 100, 500, 100);
  const at = placeLabels([a, b], cards);
  const boxes = [box(at.get("conv-add"), a.w, a.h), box(at.get("relu-add"), b.w, b.h)];
  assert.ok(at.get("conv-add").whole && at.get("relu-add").whole);
  assert.ok(!overlap(boxes[0], boxes[1]), JSON.stringify(boxes));
  for (const bx of boxes) for (const c of cards) assert.ok(!overlap(bx, { ...c, x0: c.x0 - 5, x1: c.x1 + 5 }));
});

test("the card grid gives exactly the cards a box meets, each once, as a scan of all would", () => {
  const cards = [];
  for (let i = 0; i < 60; i++) {
    const x = (i * 137) % 1900;
    const y = Math.floor(i / 7) * 150;
    cards.push({ x0: x, x1: x + 200 + (i % 3) * 150, y0: y, y1: y + 110 });
  }
  const grid = cardGrid(cards);
  for (const [x0, y0, x1, y1] of [[0, 0, 10, 10], [250, 40, 900, 60], [-50, -50, 5000, 5000],
                                   [1000, 500, 1001, 501], [3000, 3000, 3100, 3100]]) {
    const scan = cards.filter((c) => c.x0 < x1 && c.x1 > x0 && c.y0 < y1 && c.y1 > y0);
    const near = grid.near(x0, y0, x1, y1);
    assert.equal(new Set(near).size, near.length);
    assert.deepEqual(new Set(near), new Set(scan));
  }
});

test("a label too wide for its gap shows a shorter form of its shape where one fits", () => {
  // resnet-mini's stem (Conv2d) then stem_bn 80 px apart: 16×28×28 needs 80 px and the port
  // circles 5 px each side, so it showed "…"; 16×28² fits between them
  const cards = [card(0, 0), card(280, 0)];
  const w = wire("stem-stem_bn", "16×28×28", 200, 40, 280, 40);
  const at = placeLabels([w], cards).get("stem-stem_bn");
  assert.equal(at.whole, true);
  assert.equal(wireLabelForms("16×28×28")[at.form], "16×28²");
  const b = box(at, w.forms[at.form - 1].w, w.forms[at.form - 1].h);
  for (const c of cards) assert.ok(!overlap(b, { ...c, x0: c.x0 - 5, x1: c.x1 + 5 }), JSON.stringify(b));
});

test("a shorter form of seven characters fits the 80 px between two cards", () => {
  // efficientnet-b0's stem_conv then stem_bn, resnet18's conv1 then bn1: 32×112×112, 64×112×112
  for (const text of ["32×112×112", "1280×7×7", "256×14×14"]) {
    const cards = [card(0, 0), card(280, 0)];
    const w = wire("a-b", text, 200, 40, 280, 40);
    const at = placeLabels([w], cards).get("a-b");
    assert.equal(at.whole, true, text);
    assert.equal(wireLabelForms(text)[at.form].length, 7, text);
    const b = box(at, w.forms[at.form - 1].w, w.forms[at.form - 1].h);
    for (const c of cards) assert.ok(!overlap(b, { ...c, x0: c.x0 - 5, x1: c.x1 + 5 }), `${text}: ${JSON.stringify(b)}`);
  }
});

test("a label whose whole text fits keeps it; one with no shorter form that fits is a mark", () => {
  const cards = [card(0, 0), card(320, 0), card(600, 0), card(840, 0)];
  const roomy = wire("a-b", "16×28×28", 200, 40, 320, 40);
  const tight = wire("c-d", "16×28×28", 800, 40, 840, 40); // 40 px: not even 16×28²
  const at = placeLabels([roomy, tight], cards);
  assert.deepEqual([at.get("a-b").whole, at.get("a-b").form], [true, 0]);
  assert.equal(at.get("c-d").whole, false);
});

test("a wire label's shorter forms: equal sizes as a power, then large sizes in thousands", () => {
  assert.deepEqual(wireLabelForms("16×28×28"), ["16×28×28", "16×28²"]);
  assert.deepEqual(wireLabelForms("#2 32×7×7×7"), ["#2 32×7×7×7", "#2 32×7³"]);
  assert.deepEqual(wireLabelForms("64×4096"), ["64×4096"]); // nothing shorter to say
  assert.deepEqual(wireLabelForms("3×150528"), ["3×150528", "3×151k"]);
  assert.deepEqual(wireLabelForms("1600"), ["1600"]);
  assert.deepEqual(wireLabelForms(""), [""]);
});
