// Unit tests of the param rows a block's problems name (no browser): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { paramRows } from "../src/format.js";

const LINEAR = {
  type: "Linear",
  key_params: ["out_features"],
  params: [
    { name: "in_features", kind: "int", default: null },
    { name: "out_features", kind: "int", default: 64 },
    { name: "bias", kind: "bool", default: true },
  ],
};

test("a param the block's error names is a row of its card, marked", () => {
  const data = { type: "Linear", params: { in_features: 8, out_features: 16 } };
  const rows = paramRows(LINEAR, data, { bad_params: ["in_features"], errors: ["in_features is 8, …"] });
  assert.deepEqual(rows.map((r) => [r.name, r.value, Boolean(r.bad)]), [
    ["out_features", "16", false],
    ["in_features", "8", true],
  ]);
});

test("a key param at fault is marked where it is, not shown twice", () => {
  const data = { type: "Linear", params: { out_features: 16 } };
  const rows = paramRows(LINEAR, data, { bad_params: ["out_features"] });
  assert.deepEqual(rows.map((r) => [r.name, Boolean(r.bad)]), [["out_features", true]]);
});

test("a block without problems shows its key params alone", () => {
  const data = { type: "Linear", params: { in_features: 8, out_features: 16 } };
  assert.deepEqual(paramRows(LINEAR, data, {}).map((r) => r.name), ["out_features"]);
  assert.deepEqual(paramRows(LINEAR, data, null).map((r) => r.name), ["out_features"]);
});

test("a name the block has no param of is no row", () => {
  const data = { type: "Linear", params: { out_features: 16 } };
  assert.deepEqual(paramRows(LINEAR, data, { bad_params: ["shape"] }).map((r) => r.name), ["out_features"]);
});
