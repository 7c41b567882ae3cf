// Unit tests of where a card's id may wrap (no browser): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { headLines, idWords } from "../src/graph.js";

test("an id wraps after its underscores, dots and dashes", () => {
  assert.deepEqual(idWords("position_embedding_table"), ["position_", "embedding_", "table"]);
  assert.deepEqual(idWords("blocks.0.attn"), ["blocks.", "0.", "attn"]);
  assert.deepEqual(idWords("conv1"), ["conv1"]);
  assert.deepEqual(idWords("a__b_"), ["a_", "_", "b_"]);
});

test("an imported id too long for a line takes two, split at its last underscore that fits", () => {
  // Embedding over its id's two lines
  assert.equal(headLines("Embedding", "position_embedding_table"), 3);
  assert.equal(headLines("Embedding", "token_embedding_table"), 3);
  // one word longer than a line still breaks anywhere
  assert.equal(headLines("Linear", "x".repeat(30)), 3);
});
