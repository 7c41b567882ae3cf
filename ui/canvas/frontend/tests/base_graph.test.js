// A change carries the graph it was made on (src/sync.js changeFields): a session that is gone
// (the server restarted with the tab open) lays it over what another tab saved meanwhile,
// Python checking that graph against the digest its `base` names. `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { changeFields, enqueue, queueValue } from "../src/sync.js";

const shown = { nodes: [{ id: "relu1", type: "ReLU" }], edges: [] };
const given = { nodes: [{ id: "relu1", type: "ReLU" }, { id: "fc", type: "Linear" }], edges: [] };

test("a change names its base and carries the graph that base names", () => {
  const fields = changeFields({ graph: shown, base: "p||s:3:ab12", baseSeq: 7, baseGraph: given });
  assert.deepEqual(fields, { graph: shown, base: "p||s:3:ab12", baseSeq: 7, baseGraph: given });
  // it reaches Python in the component value, with the rest of the queue
  const value = queueValue(enqueue([], { seq: 8, event: "change", selected: [], ...fields }));
  assert.deepEqual(value.events[0].baseGraph, given);
  assert.deepEqual(JSON.parse(JSON.stringify(value)).events[0].baseGraph, given);
});

test("no base taken yet: no graph sent for it", () => {
  assert.deepEqual(changeFields({ graph: shown, base: null, baseSeq: 0, baseGraph: given }), {
    graph: shown,
    base: null,
    baseSeq: 0,
  });
  assert.equal("baseGraph" in changeFields({ graph: shown, base: "v", baseSeq: 0, baseGraph: null }), false);
});
