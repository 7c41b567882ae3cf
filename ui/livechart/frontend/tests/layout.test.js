import assert from "node:assert/strict";
import { test } from "node:test";

import { chartConfig, plan, themed } from "../src/layout.js";

const loss = { key: "loss", data: [{ x: [1, 2], y: [2.3, 2.1] }], layout: { height: 320, width: 500 } };

test("a figure is redrawn when it is new or changed, and only then", () => {
  const first = plan(new Map(), [loss], false);
  assert.deepEqual(first.redraw, ["loss"]);
  const same = plan(first.signatures, [structuredClone(loss)], false);
  assert.deepEqual(same.redraw, []);
  const grown = { ...loss, data: [{ x: [1, 2, 3], y: [2.3, 2.1, 1.9] }] };
  assert.deepEqual(plan(first.signatures, [grown], false).redraw, ["loss"]);
  assert.deepEqual(plan(first.signatures, [loss], true).redraw, ["loss"]); // the theme changed
});

test("figures no longer sent are removed", () => {
  const lr = { key: "lr", data: [], layout: {} };
  const both = plan(new Map(), [loss, lr], false);
  assert.deepEqual(plan(both.signatures, [loss], false).removed, ["lr"]);
});

test("the theme colours the text and grid, the chart fills its cell", () => {
  const dark = themed(loss.layout, { base: "dark", textColor: "#fafafa", font: "Source Sans" });
  assert.equal(dark.font.color, "#fafafa");
  assert.equal(dark.font.family, "Source Sans");
  assert.equal(dark.paper_bgcolor, "rgba(0,0,0,0)");
  assert.equal(dark.width, undefined);
  assert.equal(dark.height, 320);
  assert.match(dark.xaxis.gridcolor, /250, 250, 250/);
  const light = themed({ xaxis: { title: { text: "step" } } }, undefined);
  assert.equal(light.font.color, "#31333f");
  assert.equal(light.xaxis.title.text, "step");
});

test("the charts take the app's config, responsive always; without one, no logo nor selection tools", () => {
  const app = { displaylogo: false, displayModeBar: "hover", modeBarButtonsToRemove: ["zoomIn2d"] };
  assert.deepEqual(chartConfig(app), { ...app, responsive: true });
  const own = chartConfig(null);
  assert.equal(own.displaylogo, false);
  assert.deepEqual(own.modeBarButtonsToRemove, ["lasso2d", "select2d"]);
  assert.equal(own.responsive, true);
  assert.equal(chartConfig({ responsive: false }).responsive, true);
});
