// Wire labels after the auto layout: each clear of the port circles at its wire's ends (and of
// every card), and no two on top of each other.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fitLayout } from "../src/layout.js";
import { wireLabelSize } from "../src/format.js";
import { labelPoint, wireSegments } from "../src/wires.js";

const template = (name) =>
  JSON.parse(readFileSync(new URL(`../../../../assets/templates/${name}.json`, import.meta.url), "utf8"));
const card = () => ({ w: 200, h: 110 });
const PORT_R = 5; // the port circles: 10 px wide, centred on the card's edge

/** Lays out `ids`/`edges` (each edge's label text in `text(edge)`) and checks every label. */
function checkLabels(ids, edges, text, pane) {
  const laid = edges.map((e) => ({ ...e, label: wireLabelSize(text(e)) }));
  const { pos, routes } = fitLayout(ids, laid, card, pane);
  const cards = ids.map((id) => ({ id, x0: pos.get(id).x, y0: pos.get(id).y, x1: pos.get(id).x + 200, y1: pos.get(id).y + 110 }));
  const boxes = laid.map((e, i) => {
    const s = pos.get(e.source);
    const t = pos.get(e.target);
    const [sx, sy, tx, ty] = [s.x + 200, s.y + 55, t.x, t.y + 55];
    const [x, y] = labelPoint(wireSegments(sx, sy, tx, ty, routes[i]));
    const box = { e, x0: x - e.label.w / 2, x1: x + e.label.w / 2, y0: y - e.label.h / 2, y1: y + e.label.h / 2 };
    if (!routes[i]) {
      // a plain wire between neighbouring columns: its label between the two port circles
      assert.ok(box.x0 >= sx + PORT_R && box.x1 <= tx - PORT_R, `${e.source}→${e.target} label ${box.x0}–${box.x1} between ${sx}, ${tx}`);
    }
    for (const c of cards) {
      const over = box.x0 < c.x1 + PORT_R && box.x1 > c.x0 - PORT_R && box.y0 < c.y1 && box.y1 > c.y0;
      assert.ok(!over, `${e.source}→${e.target}'s label covers ${c.id}`);
    }
    return box;
  });
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      const over = a.x0 < b.x1 && a.x1 > b.x0 && a.y0 < b.y1 && a.y1 > b.y0;
      assert.ok(!over, `labels of ${a.e.source}→${a.e.target} and ${b.e.source}→${b.e.target} overlap`);
    }
  }
  return pos;
}

// the shapes the designer annotates on efficientnet-b0's wires, by source block
const EFFNET_SHAPES = {
  image: "3×224×224", stem_conv: "32×112×112", stem_bn: "32×112×112", stem_act: "32×112×112",
  stage1: "16×112×112", stage2: "24×56×56", stage3: "40×28×28", stage4: "80×14×14",
  stage5: "112×14×14", stage6: "192×7×7", stage7: "320×7×7", head_conv: "1280×7×7",
  head_bn: "1280×7×7", head_act: "1280×7×7", avgpool: "1280×1×1", flatten: "1280",
  dropout: "1280", fc: "1000",
};

for (const pane of [
  { width: 500, height: 440, maxZoom: 1.1 }, // 1280×720
  { width: 1100, height: 760, maxZoom: 1.1 }, // 1920×1080
  undefined, // one row
]) {
  test(`efficientnet-b0's wire labels sit between their port circles, apart (pane ${pane ? pane.width : "none"})`, () => {
    const g = template("efficientnet-b0");
    checkLabels(g.nodes.map((n) => n.id), g.edges, (e) => EFFNET_SHAPES[e.source], pane);
  });

  test(`a residual block's wire labels (MBConv: skip and squeeze-excitation) stay clear (pane ${pane ? pane.width : "none"})`, () => {
    const block = template("efficientnet-b0").blocks.MBConv;
    const shape = (e) => (e.source.startsWith("se_") && e.target !== "se_scale" ? "96×1×1" : e.source === "x" ? "#2 16×112×112" : "96×112×112");
    checkLabels(block.nodes.map((n) => n.id), block.edges, shape, pane);
  });
}

test("wires that wrap to the next row side by side keep their labels apart (attention's q, k, v)", () => {
  const ids = ["x", "q", "k", "v", "attn", "a", "b", "c", "d", "out"];
  const edges = [
    { source: "x", target: "q" }, { source: "x", target: "k" }, { source: "x", target: "v" },
    { source: "q", target: "attn", inOrder: 0 }, { source: "k", target: "attn", inOrder: 1 },
    { source: "v", target: "attn", inOrder: 2 }, { source: "x", target: "d" }, { source: "attn", target: "a" },
    { source: "a", target: "b" }, { source: "b", target: "c" }, { source: "c", target: "d" }, { source: "d", target: "out" },
  ];
  checkLabels(ids, edges, () => "8×16", { width: 500, height: 440, maxZoom: 1.1 });
});

test("a gap between columns is as wide as its widest label needs, and no wider than the least without labels", () => {
  const ids = ["a", "b", "c"];
  const edges = [{ source: "a", target: "b" }, { source: "b", target: "c" }];
  const bare = fitLayout(ids, edges, card).pos;
  assert.equal(bare.get("b").x - bare.get("a").x, 200 + 80);
  const long = fitLayout(ids, [{ ...edges[0], label: { w: 150, h: 20 } }, edges[1]], card).pos;
  assert.ok(long.get("b").x - long.get("a").x - 200 >= 150 + 2 * PORT_R);
  assert.equal(long.get("c").x - long.get("b").x, 200 + 80);
});
