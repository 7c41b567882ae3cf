// The auto layout of small designs draws no two wires across each other and no wire under a
// block that is not one of its ends: the residual block, a two-branch (inception-like) block,
// an encoder-decoder with skips, resnet-mini's BasicBlock and efficientnet's MBConv, in one
// row and wrapped onto rows to fit the designer's pane at 1280x720, 1440x900 and 1920x1080.
// The wires are drawn as the canvas draws them (wires.js), then checked as points.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitLayout } from "../src/layout.js";
import { samplePoints, wireSegments } from "../src/wires.js";

// card sizes as the canvas measures them: an Input, a convolution with three params, a
// one-line block
const SIZES = { Input: { w: 150, h: 92 }, Conv: { w: 200, h: 112 }, Small: { w: 150, h: 52 } };
const PANES = {
  "one row": {},
  "1280x720": { width: 527, height: 400, maxZoom: 1.1 },
  "1440x900": { width: 740, height: 540, maxZoom: 1.1 },
  "1920x1080": { width: 940, height: 725, maxZoom: 1.1 },
};

function design(spec) {
  // "a:Conv b c:Input", "a>b b>c" → ids, sizes, edges
  const ids = [];
  const kinds = new Map();
  for (const word of spec.nodes.split(/\s+/)) {
    const [id, kind = "Small"] = word.split(":");
    ids.push(id);
    kinds.set(id, kind);
  }
  const edges = spec.edges.split(/\s+/).map((w) => {
    const [source, target] = w.split(">");
    return { source, target };
  });
  return { ids, edges, sizeOf: (id) => SIZES[kinds.get(id)] };
}

const DESIGNS = {
  residual: design({
    nodes: "input:Input conv1:Conv bn relu conv2:Conv add output",
    edges: "input>conv1 conv1>bn bn>relu relu>conv2 conv2>add input>add add>output",
  }),
  "two-branch": design({
    nodes: "input:Input b1:Conv b2a:Conv b2b:Conv b3a b3b:Conv cat output",
    edges: "input>b1 input>b2a b2a>b2b input>b3a b3a>b3b b1>cat b2b>cat b3b>cat cat>output",
  }),
  "encoder-decoder": design({
    nodes:
      "input:Input enc1:Conv down1 enc2:Conv down2 mid:Conv up2 cat2 dec2:Conv up1 cat1 dec1:Conv output",
    edges:
      "input>enc1 enc1>down1 down1>enc2 enc2>down2 down2>mid mid>up2 up2>cat2 enc2>cat2 cat2>dec2 " +
      "dec2>up1 up1>cat1 enc1>cat1 cat1>dec1 dec1>output",
  }),
  "resnet-mini BasicBlock": design({
    nodes: "x:Input conv1:Conv bn1 relu1 conv2:Conv bn2 shortcut:Conv add relu2 out",
    edges:
      "x>conv1 conv1>bn1 bn1>relu1 relu1>conv2 conv2>bn2 x>shortcut bn2>add shortcut>add add>relu2 relu2>out",
  }),
  "efficientnet MBConv": design({
    nodes:
      "x:Input expand_conv:Conv expand_bn expand_act dw_conv:Conv dw_bn dw_act se_pool se_reduce:Conv " +
      "se_act se_expand:Conv se_gate se_scale project_conv:Conv project_bn drop_path add out",
    edges:
      "x>expand_conv expand_conv>expand_bn expand_bn>expand_act expand_act>dw_conv dw_conv>dw_bn " +
      "dw_bn>dw_act dw_act>se_pool se_pool>se_reduce se_reduce>se_act se_act>se_expand se_expand>se_gate " +
      "dw_act>se_scale se_gate>se_scale se_scale>project_conv project_conv>project_bn " +
      "project_bn>drop_path drop_path>add x>add add>out",
  }),
};

/** Each wire as the canvas draws it, as points, with its ends. */
function drawn(d, layout) {
  const box = (id) => ({ ...layout.pos.get(id), ...d.sizeOf(id) });
  return d.edges.map((e, i) => {
    const s = box(e.source);
    const t = box(e.target);
    const segs = wireSegments(s.x + s.w, s.y + s.h / 2, t.x, t.y + t.h / 2, layout.routes[i]);
    return { ...e, points: samplePoints(segs, 3) };
  });
}

function cross(p1, p2, q1, q2) {
  const o = (a, b, c) => Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  const d1 = o(q1, q2, p1);
  const d2 = o(q1, q2, p2);
  const d3 = o(p1, p2, q1);
  const d4 = o(p1, p2, q2);
  if (d1 !== d2 && d3 !== d4 && d1 && d2 && d3 && d4) return true;
  // runs on top of each other
  if (!d1 && !d2 && !d3 && !d4) {
    const lo = (a, b, k) => Math.min(a[k], b[k]);
    const hi = (a, b, k) => Math.max(a[k], b[k]);
    const k = p1[0] === p2[0] ? 1 : 0;
    return Math.min(hi(p1, p2, k), hi(q1, q2, k)) - Math.max(lo(p1, p2, k), lo(q1, q2, k)) > 0.5;
  }
  return false;
}

/** Where two wires cross. Wires out of one output leave it together, and wires into one input
 *  join before it: where they meet level with that handle (or within 24 px of it), they merge,
 *  they do not cross. */
function crossings(wires) {
  const found = [];
  const merges = (p, q) => Math.hypot(p[0] - q[0], p[1] - q[1]) < 24 || Math.abs(p[1] - q[1]) < 1;
  for (let i = 0; i < wires.length; i++) {
    for (let j = i + 1; j < wires.length; j++) {
      const a = wires[i];
      const b = wires[j];
      const shared = [];
      if (a.source === b.source) shared.push(a.points[0]);
      if (a.target === b.target) shared.push(a.points[a.points.length - 1]);
      for (let m = 1; m < a.points.length; m++) {
        for (let n = 1; n < b.points.length; n++) {
          const p = a.points[m];
          if (cross(a.points[m - 1], p, b.points[n - 1], b.points[n]) && !shared.some((s) => merges(p, s))) {
            found.push(`${a.source}>${a.target} × ${b.source}>${b.target} at ${p.map(Math.round)}`);
            m = a.points.length;
            break;
          }
        }
      }
    }
  }
  return found;
}

/** Wires that pass through a block that is neither of their ends. */
function underBlocks(d, layout, wires) {
  const found = [];
  for (const w of wires) {
    for (const id of d.ids) {
      if (id === w.source || id === w.target) continue;
      const b = { ...layout.pos.get(id), ...d.sizeOf(id) };
      const hit = w.points.find((p) => p[0] > b.x + 1 && p[0] < b.x + b.w - 1 && p[1] > b.y + 1 && p[1] < b.y + b.h - 1);
      if (hit) found.push(`${w.source}>${w.target} under ${id} at ${hit.map(Math.round)}`);
    }
  }
  return found;
}

function overlaps(d, layout) {
  const found = [];
  for (let i = 0; i < d.ids.length; i++) {
    for (let j = i + 1; j < d.ids.length; j++) {
      const a = { ...layout.pos.get(d.ids[i]), ...d.sizeOf(d.ids[i]) };
      const b = { ...layout.pos.get(d.ids[j]), ...d.sizeOf(d.ids[j]) };
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) found.push(`${d.ids[i]}/${d.ids[j]}`);
    }
  }
  return found;
}

for (const [name, d] of Object.entries(DESIGNS)) {
  for (const [paneName, pane] of Object.entries(PANES)) {
    test(`${name}, ${paneName}: no wire crosses another or runs under a block`, () => {
      const layout = fitLayout(d.ids, d.edges, d.sizeOf, pane);
      assert.deepEqual(overlaps(d, layout), []);
      const wires = drawn(d, layout);
      assert.deepEqual(crossings(wires), []);
      assert.deepEqual(underBlocks(d, layout, wires), []);
      // every block right of its inputs within a row
      for (const e of d.edges) {
        const s = layout.pos.get(e.source);
        const t = layout.pos.get(e.target);
        if (Math.abs(s.y - t.y) < 200) assert.ok(s.x < t.x || t.y > s.y, `${e.source} before ${e.target}`);
      }
    });
  }
}

test("a skip wire gets a lane of its own: the residual block's input→add runs clear of the chain", () => {
  const d = DESIGNS.residual;
  const layout = fitLayout(d.ids, d.edges, d.sizeOf);
  const skip = d.edges.findIndex((e) => e.source === "input" && e.target === "add");
  assert.ok(layout.routes[skip], "a route, not the plain curve under the chain");
  const chainTop = Math.min(...["conv1", "bn", "relu", "conv2"].map((id) => layout.pos.get(id).y));
  const chainBottom = Math.max(...["conv1", "bn", "relu", "conv2"].map((id) => layout.pos.get(id).y + d.sizeOf(id).h));
  const lane = layout.routes[skip].filter((p) => p[0] > layout.pos.get("conv1").x && p[0] < layout.pos.get("conv2").x + 200);
  assert.ok(lane.length && lane.every((p) => p[1] < chainTop || p[1] > chainBottom), JSON.stringify(lane));
  // neighbours need no route
  assert.equal(layout.routes[d.edges.findIndex((e) => e.source === "conv1")], null);
});

test("rows break where one wire passes: a residual block is not cut when a row can end before it", () => {
  // a chain, then a residual block (x → a → add, x → add), then more chain: eight columns
  const d = design({
    nodes: "c:Input d x a:Conv add e f g",
    edges: "c>d d>x x>a a>add x>add add>e e>f f>g",
  });
  // a pane four columns wide: rows of four would cut the residual (c d x a | add e f g)
  const pane = { width: 4 * 230, height: 2000, maxZoom: 1, goodZoom: 1 };
  const layout = fitLayout(d.ids, d.edges, d.sizeOf, pane);
  // x, a and add in one row, left to right: no wire of the residual wraps, only the chain's
  const x = (id) => layout.pos.get(id).x;
  assert.ok(x("x") < x("a") && x("a") < x("add"));
  const wrapping = d.edges.filter((e, i) => layout.routes[i] && layout.routes[i].some((p) => p[0] < 0));
  assert.equal(wrapping.length, 2); // three rows, each break where one wire passes
  for (const e of wrapping) assert.ok(!["x", "a"].includes(e.source), `${e.source}>${e.target} wraps`);
});
