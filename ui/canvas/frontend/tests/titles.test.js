// A card's title (its type and its id) reads whole: the id goes on a line of its own when both
// do not fit the card's width, and the estimated height (for layouts before the browser has
// measured the card) counts that line. `npm test`; the browser side is
// tests/ui/test_canvas_newcomer_1366_browser.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HEAD_LINE, estimateHeight, headLines, headWraps, sizeOf, typeWords } from "../src/graph.js";

test("a short type and id share a line; the usual longer ones take two", () => {
  for (const [type, id] of [["Conv2d", "conv1"], ["ReLU", "relu1"], ["Linear", "fc"], ["Input", "image"],
    ["MaxPool2d", "pool1"], ["BatchNorm2d", "bn1"], ["Flatten", "flatten1"], ["Dropout", "drop"]]) {
    assert.ok(!headWraps(type, id), `${type} ${id}`);
  }
  for (const [type, id] of [["BatchNorm2d", "batchnorm2d1"], ["MaxPool2d", "maxpool2d1"],
    ["AdaptiveAvgPool2d", "adaptiveavgpool2d1"], ["AdaptiveAvgPool2d", "pool"], ["Conv2d", "encoder_conv_3x3_a"],
    ["LayerNorm", "layernorm1"], ["Dropout2d", "dropout2d1"]]) {
    assert.ok(headWraps(type, id), `${type} ${id}`);
  }
  // a repeat badge and a composite's mark take room too
  assert.ok(!headWraps("BasicBlock", "stage1"));
  assert.ok(headWraps("BasicBlock", "stage1_rest", { badges: 2, composite: true }));
});

test("the estimated height counts the id's own line", () => {
  const spec = { type: "BatchNorm2d", ports: { kind: "single" }, key_params: [] };
  const catalog = new Map([["BatchNorm2d", spec]]);
  const one = estimateHeight(spec, { type: "BatchNorm2d", params: {} }, "bn1");
  const two = estimateHeight(spec, { type: "BatchNorm2d", params: {} }, "batchnorm2d1");
  assert.equal(two, one + HEAD_LINE);
  // a label is shown in place of the id
  assert.equal(estimateHeight(spec, { type: "BatchNorm2d", label: "bn" }, "batchnorm2d1"), one);
  assert.equal(estimateHeight(spec, { type: "BatchNorm2d" }), one); // no id given: one line
  const node = (id) => ({ id, position: { x: 0, y: 0 }, data: { type: "BatchNorm2d", params: {} } });
  assert.equal(sizeOf(node("batchnorm2d1"), catalog).h, two);
  assert.equal(sizeOf({ ...node("batchnorm2d1"), measured: { width: 200, height: 70 } }, catalog).h, 70);
});

test("a title too long for a line wraps onto more, and the estimated height counts each", () => {
  assert.deepEqual(typeWords("TransformerEncoderLayer"), ["Transformer", "Encoder", "Layer"]);
  assert.deepEqual(typeWords("BatchNorm2d"), ["Batch", "Norm2d"]);
  assert.deepEqual(typeWords("LSTM"), ["LSTM"]);
  assert.equal(headLines("Conv2d", "conv1"), 1);
  assert.equal(headLines("BatchNorm2d", "batchnorm2d1"), 2);
  // the type on two lines (Transformer Encoder / Layer), the id on a third
  assert.equal(headLines("TransformerEncoderLayer", "encoder"), 3);
  // the id longer than a line alone: on two
  assert.equal(headLines("Linear", "transformerencoderlayer_out"), 3);
  assert.equal(headLines("TransformerEncoderLayer", "transformerencoderlayer1"), 4);
  const spec = { type: "TransformerEncoderLayer", ports: { kind: "single" }, key_params: [] };
  const data = { type: "TransformerEncoderLayer", params: {} };
  assert.equal(estimateHeight(spec, data, "transformerencoderlayer1"), estimateHeight(spec, data) + 3 * HEAD_LINE);
});
