// The canvas toolbar keeps to one line by giving up, a step at a time while it overflows, the
// hint, then the selection in its block count, and wraps only as the last step (src/toolbarFit.js, measured by src/toolbar.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { FIT_STEPS, nextFit } from "../src/toolbarFit.js";

test("an overflowing toolbar steps on until it wraps; one that fits stays", () => {
  const seen = [0];
  for (let i = 0; i < 6; i++) seen.push(nextFit(seen[seen.length - 1], true));
  assert.deepEqual(seen.map((s) => FIT_STEPS[s]), ["all", "no-hint", "count-only", "wrap", "wrap", "wrap", "wrap"]);
  assert.equal(nextFit(2, false), 2);
  assert.equal(nextFit(0, false), 0);
});
