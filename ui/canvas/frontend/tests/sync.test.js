// Unit tests of when the canvas takes Python's graph and selection (src/sync.js): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { graphAction, isAnswered, selectionAction } from "../src/sync.js";

test("props answer the events sent when ack reaches the newest seq", () => {
  assert.equal(isAnswered(5, 5), true);
  assert.equal(isAnswered(6, 5), true); // a reloaded canvas has sent nothing yet
  assert.equal(isAnswered(0, 0), true);
  assert.equal(isAnswered(4, 5), false); // the user has sent a newer event
  assert.equal(isAnswered(null, 5), false); // ack=None: the old contract
  assert.equal(isAnswered(undefined, 0), false);
  assert.equal(isAnswered(Number.NaN, 0), false);
});

// Keys: G0 before the delete, G1 after it, G1m = G1 with a node being dragged (not sent yet).
const base = { first: false, sent: [] };

test("delete then a quick undo: Python's unchanged graph resets the canvas once ack answers", () => {
  // the canvas deleted a node (change G1, seq 1) and sent undo (seq 2) before any rerun drew
  // G1; Python answers the undo with G0, the very graph the canvas last received
  const props = { ...base, incoming: "G0", prop: "G0", local: "G1", synced: "G1" };
  assert.deepEqual(graphAction({ ...props, answered: isAnswered(2, 2) }), {
    action: "reset",
    sent: [],
  });
  // without ack (or with an older one) an unchanged prop is ignored, as before
  assert.equal(graphAction({ ...props, answered: isAnswered(null, 2) }).action, "none");
  assert.equal(graphAction({ ...props, answered: isAnswered(1, 2) }).action, "none");
});

test("answered props equal to what the canvas sent keep a drag in progress", () => {
  let local = 0;
  const r = graphAction({
    ...base,
    incoming: "G1",
    prop: "G1",
    local: () => {
      local += 1;
      return "G1m";
    },
    synced: "G1",
    answered: true,
    sent: ["G1"],
  });
  assert.deepEqual(r, { action: "keep", sent: [] });
  assert.equal(local, 0, "the shown graph need not be walked");
  // the echo of the last change sent, arriving mid-drag, is kept too
  assert.equal(
    graphAction({ ...base, incoming: "G1", prop: "G0", local: "G1m", synced: "G1", answered: true })
      .action,
    "keep",
  );
});

test("answered props equal to the graph shown mark it synced", () => {
  assert.deepEqual(
    graphAction({ ...base, incoming: "G0", prop: "G1", local: "G0", synced: "G1", answered: true }),
    { action: "synced", sent: [] },
  );
});

test("answered props that differ from what the canvas sent are authoritative", () => {
  // Python rejected the last change (kept an earlier one): even an earlier echo resets
  const r = graphAction({
    ...base,
    incoming: "G1",
    prop: "G0",
    local: "G2",
    synced: "G2",
    sent: ["G1", "G2"],
    answered: true,
  });
  assert.deepEqual(r, { action: "reset", sent: [] });
});

test("props older than the newest event keep the late-echo rule", () => {
  // the user sent G1 then G2; the rerun for G1 arrives (ack 1 < seq 2): a late echo
  const props = { ...base, prop: "G0", local: "G2", synced: "G2", sent: ["G1", "G2"] };
  assert.deepEqual(graphAction({ ...props, incoming: "G1", answered: isAnswered(1, 2) }), {
    action: "echo",
    sent: ["G2"],
  });
  // a graph the canvas never sent is Python's own: shown
  assert.deepEqual(graphAction({ ...props, incoming: "G9", answered: false }), {
    action: "reset",
    sent: [],
  });
  // and an unchanged prop is left alone, however far it is from what is shown
  assert.deepEqual(graphAction({ ...props, incoming: "G0", answered: false }), {
    action: "none",
    sent: ["G1", "G2"],
  });
});

test("props from a run older than the newest event wait for Python's answer", () => {
  // the user dropped a block (G2, seq 2) while a run for an inspector edit (G1p: G1 with a new
  // param, ack 1) was drawing: its graph lacks the block, and is not taken
  const props = { ...base, prop: "G1", local: "G2", synced: "G2", sent: ["G2"] };
  assert.deepEqual(
    graphAction({ ...props, incoming: "G1p", answered: isAnswered(1, 2), pending: true }),
    { action: "none", sent: ["G2"] },
  );
  // nor a late echo of an earlier change
  assert.equal(
    graphAction({ ...props, incoming: "G1", prop: "G0", answered: false, pending: true }).action,
    "none",
  );
  // the answer (ack 2) is authoritative: Python's G2p (the block and the param) is shown
  assert.deepEqual(
    graphAction({ ...props, incoming: "G2p", answered: isAnswered(2, 2), pending: false }),
    { action: "reset", sent: [] },
  );
  // the selection waits too
  const sel = { prop: '["conv2"]', shown: '["relu7"]', last: '["relu7"]', sent: ['["relu7"]'] };
  assert.equal(
    selectionAction({ ...sel, incoming: '["conv1"]', answered: false, pending: true }).action,
    "none",
  );
  assert.equal(
    selectionAction({ ...sel, incoming: '["conv1"]', answered: true, pending: false }).action,
    "apply",
  );
});

test("the first graph is always shown", () => {
  assert.equal(
    graphAction({ first: true, incoming: "G0", prop: null, local: null, synced: null, sent: [], answered: true })
      .action,
    "reset",
  );
  assert.equal(
    graphAction({ first: true, incoming: "G0", prop: null, local: null, synced: null, sent: [], answered: false })
      .action,
    "reset",
  );
});

test("selection: answered props are applied unless they are what the canvas last sent", () => {
  const sel = { prop: '["a"]', shown: '["a"]', last: '["a"]', sent: [] };
  // Python selected b in answer to the last event: applied even though the prop did not change
  assert.equal(
    selectionAction({ ...sel, incoming: '["b"]', prop: '["b"]', answered: true }).action,
    "apply",
  );
  // a click on b whose select event is still pending: the answered prop (a) is what was sent
  assert.deepEqual(
    selectionAction({ ...sel, incoming: '["a"]', shown: '["b"]', answered: true }),
    { action: "keep", sent: [] },
  );
  assert.equal(selectionAction({ ...sel, incoming: '["a"]', answered: true }).action, "synced");
  // null leaves the selection alone, answered or not
  assert.equal(selectionAction({ ...sel, incoming: null, answered: true }).action, "none");
});

test("selection: older props keep the late-echo rule", () => {
  const sel = { prop: "[]", shown: '["b"]', last: '["b"]', sent: ['["a"]', '["b"]'] };
  assert.deepEqual(selectionAction({ ...sel, incoming: '["a"]', answered: false }), {
    action: "echo",
    sent: ['["b"]'],
  });
  assert.equal(selectionAction({ ...sel, incoming: '["c"]', answered: false }).action, "apply");
  assert.equal(selectionAction({ ...sel, incoming: "[]", answered: false }).action, "none");
});

test("a reveal's blocks are watched for a while, and until Python answers the change", async () => {
  const { revealWatched } = await import("../src/sync.js");
  const watch = { until: 5000, seq: 7, end: 61000 };
  assert.equal(revealWatched(watch, 6, 4000), true); // within its time
  assert.equal(revealWatched(watch, 7, 4000), true);
  assert.equal(revealWatched(watch, 6, 9000), true); // the change not answered yet
  assert.equal(revealWatched(watch, null, 9000), true); // nor said to be
  assert.equal(revealWatched(watch, 7, 9000), false); // answered, and its time is over
  assert.equal(revealWatched(watch, 6, 62000), false); // never past its end
  assert.equal(revealWatched(null, 6, 0), false);
});
