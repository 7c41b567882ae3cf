// The canvas status counts its blocks in words that agree with the number: it read "1 blocks"
// once a newcomer added a first block. `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { blockCount } from "../src/format.js";

test("one block is a block; none or several are blocks", () => {
  assert.equal(blockCount(0), "0 blocks");
  assert.equal(blockCount(1), "1 block");
  assert.equal(blockCount(1, 1), "1 block · 1 selected");
  assert.equal(blockCount(10, 3), "10 blocks · 3 selected");
});
