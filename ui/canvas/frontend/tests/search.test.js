import { test } from "node:test";
import assert from "node:assert/strict";
import { groupBlocks, matchTier, nameWords, rankBlocks } from "../src/search.js";

// the block library's names, categories and a word of help each (graph/blocks)
const CATALOG = [
  ["ReLU", "Activation", "max(0, x)."],
  ["GELU", "Activation", "Gaussian error linear unit, as in Transformers."],
  ["Sigmoid", "Activation", "1 / (1 + e^-x): outputs in (0, 1)."],
  ["Softmax", "Activation", "Exponentials normalised to sum to 1 along dim: class probabilities."],
  ["Conv1d", "Convolution", "1-D convolution over a [C, L] input (L maps)."],
  ["Conv2d", "Convolution", "2-D convolution over a [C, H, W] input (H×W maps)."],
  ["Linear", "Dense", "Fully connected layer: y = x Wᵀ + b over the last dimension."],
  ["Identity", "Dense", "Passes its input through unchanged (a placeholder or a skip)."],
  ["Input", "I/O", "A model input: one tensor per sample of the given shape (no batch)."],
  ["Output", "I/O", "A model output: returns the tensor it receives."],
  ["MaxPool1d", "Pooling", "Maximum over sliding windows of a [C, L] input."],
  ["MaxPool2d", "Pooling", "Maximum over sliding windows of a [C, H, W] input."],
  ["AdaptiveMaxPool2d", "Pooling", "Maximum pooling to a fixed output size."],
  ["AdaptiveAvgPool2d", "Pooling", "Average pooling to a fixed output size (1 gives global pooling)."],
  ["Flatten", "Shape", "Flattens dimensions start_dim..end_dim into one."],
  ["BatchNorm2d", "Normalisation", "Batch normalisation over the channels of a [C, H, W] input."],
].map(([type, category, help]) => ({ type, category, help }));

const names = (q) => rankBlocks(CATALOG, q).map((s) => s.type);

test("a block's own name beats help text that mentions it", () => {
  assert.equal(names("input")[0], "Input");
  assert.equal(names("linear")[0], "Linear");
  assert.equal(names("output")[0], "Output");
  assert.equal(names("Input")[0], "Input");
  // help hits still come, after the name hits
  assert.ok(names("input").includes("Conv1d"));
  assert.ok(names("linear").indexOf("GELU") > 0);
});

test("maxpool: the 2-D pool a CNN uses before the 1-D one, and pools by word", () => {
  const got = names("maxpool");
  assert.deepEqual(got.slice(0, 2), ["MaxPool2d", "MaxPool1d"]);
  assert.equal(names("max pool")[0], "MaxPool2d");
  assert.equal(names("conv")[0], "Conv2d");
  // "pool" is a word of AdaptiveAvgPool2d: it comes before help-only matches
  const pool = names("pool");
  assert.ok(pool.indexOf("AdaptiveAvgPool2d") < pool.indexOf("Flatten") || !pool.includes("Flatten"));
});

test("tiers: exact, prefix, word, substring, category, help; no match is left out", () => {
  const spec = (type) => CATALOG.find((s) => s.type === type);
  assert.equal(matchTier(spec("ReLU"), "relu"), 0);
  assert.equal(matchTier(spec("BatchNorm2d"), "batch"), 1);
  assert.equal(matchTier(spec("BatchNorm2d"), "norm"), 2);
  assert.equal(matchTier(spec("Softmax"), "tma"), 3);
  assert.equal(matchTier(spec("ReLU"), "activ"), 4);
  assert.equal(matchTier(spec("Softmax"), "probabilities"), 5);
  assert.equal(matchTier(spec("ReLU"), "zzz"), null);
  assert.deepEqual(names("zzz"), []);
  assert.equal(names("").length, CATALOG.length);
});

test("name words split camel case and digits", () => {
  assert.deepEqual(nameWords("AdaptiveAvgPool2d").slice(0, 3), ["adaptive", "avg", "pool2d"]);
  assert.ok(nameWords("AdaptiveAvgPool2d").includes("pool"));
  assert.ok(nameWords("Conv2d").includes("conv"));
});

test("an Input card shows the shape it really gives (inside a block: where the block is used)", async () => {
  const { keyParamValues } = await import("../src/format.js");
  const spec = {
    type: "Input",
    key_params: ["shape", "dtype"],
    params: [{ name: "shape", default: [1, 28, 28] }, { name: "dtype", default: "float32" }],
  };
  // inside BasicBlock: no shape of its own, used on 64×56×56 maps
  assert.deepEqual(keyParamValues(spec, { type: "Input", params: {} }, { output_shape: [64, 56, 56] }), [
    ["shape", [64, 56, 56]],
    ["dtype", "float32"],
  ]);
  // not placed yet (no annotation): what is stored, never the default
  assert.deepEqual(keyParamValues(spec, { type: "Input", params: {} }, null)[0], ["shape", null]);
  assert.deepEqual(keyParamValues(spec, { type: "Input", params: { shape: [3, 32, 32] } }, null)[0], ["shape", [3, 32, 32]]);
  // other blocks: their value, else the default
  const conv = { type: "Conv2d", key_params: ["kernel_size"], params: [{ name: "kernel_size", default: 3 }] };
  assert.deepEqual(keyParamValues(conv, { type: "Conv2d", params: {} }, { output_shape: [8, 26, 26] }), [["kernel_size", 3]]);
});

test("the palette's best matches are name matches only; help-text hits come after, apart", () => {
  const groups = groupBlocks(CATALOG, "Input");
  assert.deepEqual(groups.map(([title]) => title), ["Best matches", "Other matches"]);
  assert.deepEqual(groups[0][1].map((s) => s.type), ["Input"]);
  assert.ok(groups[1][1].some((s) => s.type === "Conv2d")); // its help says "input"
  // prefix matches are best matches too, the exact name first
  assert.deepEqual(groupBlocks(CATALOG, "conv")[0][1].map((s) => s.type), ["Conv2d", "Conv1d"]);
  // only help-text hits: one group, not called best
  assert.deepEqual(groupBlocks(CATALOG, "probabilities").map(([t]) => t), ["Matches"]);
  assert.equal(groupBlocks(CATALOG, "  "), null);
  assert.deepEqual(groupBlocks(CATALOG, "zzz"), []);
});

test("a block is found by the names a newcomer knows it by in other places", () => {
  // "fc" found no block at all, though seed-cnn's own Linear is called fc
  assert.equal(names("fc")[0], "Linear");
  assert.equal(names("Dense")[0], "Linear");
  assert.equal(names("MaxPooling2D")[0], "MaxPool2d");
  assert.equal(names("GlobalAveragePooling2D")[0], "AdaptiveAvgPool2d");
  assert.equal(names("BatchNormalization")[0], "BatchNorm2d");
  // best matches, not "other matches" found by help text
  const [[title, blocks]] = groupBlocks(CATALOG, "fc");
  assert.equal(title, "Best matches");
  assert.deepEqual(blocks.map((s) => s.type), ["Linear"]);
});

test("an alias does not outrank a block's own name", () => {
  // "conv" is Conv2d's alias and a word of Conv1d's name: both found, Conv2d (the common) first
  assert.deepEqual(names("conv").slice(0, 2), ["Conv2d", "Conv1d"]);
  assert.equal(names("input")[0], "Input");
});
