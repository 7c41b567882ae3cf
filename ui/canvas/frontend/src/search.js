// Ranking of blocks for a search box (the palette and search-to-add): a block's name first
// (exact, then prefix, then a word of it, then anywhere in it), then its category, then its
// help text. Ties go to the blocks a first model uses most, then to shorter names. Pure.

// common first: what a beginner's model is made of, in the order they are usually wanted
const COMMON = [
  "Input", "Output", "Linear", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Dropout",
  "BatchNorm2d", "Softmax", "Add", "Concat", "AdaptiveAvgPool2d", "AvgPool2d", "Conv1d",
  "MaxPool1d", "Embedding", "LSTM", "GELU", "LayerNorm", "Sigmoid", "Tanh",
];
const COMMON_RANK = new Map(COMMON.map((t, i) => [t.toLowerCase(), i]));

// what a newcomer types for a block from a course, a paper or another framework (Keras,
// torch.nn.functional), squashed: "fc" found nothing, though seed-cnn's own Linear is "fc"
const ALIASES = new Map(Object.entries({
  fc: "Linear", dense: "Linear", fullyconnected: "Linear", mlp: "Linear", perceptron: "Linear",
  conv2d: "Conv2d", convolution2d: "Conv2d", conv1d: "Conv1d", conv: "Conv2d",
  maxpooling2d: "MaxPool2d", maxpooling1d: "MaxPool1d", averagepooling2d: "AvgPool2d",
  averagepooling1d: "AvgPool1d", avgpooling2d: "AvgPool2d",
  globalaveragepooling2d: "AdaptiveAvgPool2d", globalaveragepooling1d: "AdaptiveAvgPool1d",
  globalavgpool: "AdaptiveAvgPool2d", gap: "AdaptiveAvgPool2d",
  globalmaxpooling2d: "AdaptiveMaxPool2d", globalmaxpooling1d: "AdaptiveMaxPool1d",
  batchnormalization: "BatchNorm2d", bn: "BatchNorm2d", layernormalization: "LayerNorm",
  ln: "LayerNorm", view: "Reshape", transpose: "Permute", cat: "Concat",
  concatenate: "Concat", sum: "Add", plus: "Add", skipconnection: "Add",
  conv2dtranspose: "ConvTranspose2d", deconv: "ConvTranspose2d", upsampling2d: "Upsample",
  simplernn: "RNN", recurrent: "LSTM", zeropadding2d: "ZeroPad2d", activation: "ReLU",
}));

/** Lower case, letters and digits only: "Max pool" and "max_pool" both read "maxpool". */
export function squash(s) {
  return String(s || "").toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** The words of a block name: "AdaptiveAvgPool2d" → ["adaptive", "avg", "pool2d", "pool", "2d"]. */
export function nameWords(type) {
  const t = String(type || "");
  const parts = t
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  const words = new Set(parts);
  for (const w of parts) {
    const m = /^([a-z]+)(\d.*)$/.exec(w);
    if (m) {
      words.add(m[1]);
      words.add(m[2]);
    }
  }
  return [...words];
}

/**
 * How well `spec` matches `query`: 0 exact name, 1 name prefix, 2 a word of the name starts
 * with it, 3 the name contains it, 4 the category does, 5 the help text does; null: no match.
 */
export function matchTier(spec, query) {
  const q = String(query || "").trim().toLowerCase();
  if (!q) return 5;
  const qs = squash(q);
  const name = String(spec.type || "");
  const lname = name.toLowerCase();
  const sname = squash(name);
  if (lname === q || (qs && sname === qs)) return 0;
  if (lname.startsWith(q) || (qs && sname.startsWith(qs))) return 1;
  if (nameWords(name).some((w) => w.startsWith(q) || (qs && w.startsWith(qs)))) return 2;
  // another name for it (Keras's Dense, "fc"): as good as a word of its own name
  if (qs && ALIASES.get(qs) === name) return 2;
  if (lname.includes(q) || (qs && sname.includes(qs))) return 3;
  if (String(spec.category || "").toLowerCase().includes(q)) return 4;
  const words = q.split(/\s+/).filter(Boolean);
  const help = String(spec.help || "").toLowerCase();
  if (words.length && words.every((w) => help.includes(w))) return 5;
  return null;
}

/**
 * The blocks of `catalog` that match `query`, best first. An empty query keeps the catalog's
 * order.
 */
export function rankBlocks(catalog, query) {
  const list = (catalog || []).filter((s) => s && s.type);
  const q = String(query || "").trim();
  if (!q) return list;
  const scored = [];
  list.forEach((spec, index) => {
    const tier = matchTier(spec, q);
    if (tier === null) return;
    const common = COMMON_RANK.has(spec.type.toLowerCase())
      ? COMMON_RANK.get(spec.type.toLowerCase())
      : COMMON.length;
    scored.push({ spec, tier, common, len: spec.type.length, index });
  });
  scored.sort(
    (a, b) => a.tier - b.tier || a.common - b.common || a.len - b.len || a.index - b.index,
  );
  return scored.map((s) => s.spec);
}

/**
 * The palette's groups for `query`: `[[title, blocks], ...]`. Blocks whose name matches
 * (exact, prefix, a word, anywhere: tiers 0-3) are the "Best matches"; blocks that match only
 * by their category or help text (an Input search finds every block whose help says "input")
 * follow under "Other matches", so a name typed in full is not lost among them. An empty query
 * gives null (the palette then shows the catalog by category).
 */
export function groupBlocks(catalog, query) {
  const q = String(query || "").trim();
  if (!q) return null;
  const hits = rankBlocks(catalog, q);
  const byName = hits.filter((s) => matchTier(s, q) <= 3);
  const other = hits.filter((s) => matchTier(s, q) > 3);
  const groups = [];
  if (byName.length) groups.push(["Best matches", byName]);
  if (other.length) groups.push([byName.length ? "Other matches" : "Matches", other]);
  return groups;
}
