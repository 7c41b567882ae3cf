// Unit tests of the canvas's event queue (src/sync.js): every event is delivered, in order,
// until Python acknowledges it. `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { acknowledge, enqueue, nextSeq, queueValue } from "../src/sync.js";

const ev = (seq, event = "change", extra = {}) => ({ seq, event, selected: [], ...extra });

test("seq increases strictly, also across a reload (at least the clock)", () => {
  assert.equal(nextSeq(0, 1000), 1000);
  assert.equal(nextSeq(1000, 1000), 1001); // two events in one millisecond
  assert.equal(nextSeq(5000, 1000), 5001); // the clock went back
  let seq = 0;
  const seen = [];
  for (let i = 0; i < 5; i += 1) seen.push((seq = nextSeq(seq, 42)));
  assert.deepEqual(seen, [42, 43, 44, 45, 46]);
});

test("a drop then a quick click: both events are in the value, in order", () => {
  let q = [];
  q = enqueue(q, ev(10, "change", { graph: { nodes: [{ id: "relu9" }], edges: [] }, base: "p||3" }));
  q = enqueue(q, ev(11, "select", { selected: ["conv2"] }));
  // Streamlit delivers only the latest value: it still holds the change
  const value = queueValue(q);
  assert.deepEqual(
    value.events.map((e) => [e.seq, e.event]),
    [
      [10, "change"],
      [11, "select"],
    ],
  );
  assert.equal(value.events[0].base, "p||3");
});

test("acknowledged events leave the queue; newer ones stay", () => {
  const q = [ev(10), ev(11, "select"), ev(12)];
  assert.deepEqual(
    acknowledge(q, 11).map((e) => e.seq),
    [12],
  );
  assert.deepEqual(acknowledge(q, 12), []);
  assert.equal(acknowledge(q, 9), q, "nothing acknowledged: the same queue");
  assert.equal(acknowledge(q, null), q, "no ack (old contract): kept");
  assert.equal(acknowledge(q, Number.NaN), q);
  assert.deepEqual(acknowledge([], 5), []);
});

test("an event is never replaced by a later one, and never queued out of order", () => {
  let q = [];
  for (const seq of [1, 2, 3]) q = enqueue(q, ev(seq));
  q = acknowledge(q, 1);
  q = enqueue(q, ev(4, "undo"));
  assert.deepEqual(
    q.map((e) => e.seq),
    [2, 3, 4],
  );
  assert.throws(() => enqueue(q, ev(4)), /not above 4/);
  assert.throws(() => enqueue(q, ev(3)), /not above/);
});

test("the queue is not mutated in place (the value sent keeps its events)", () => {
  const q = [ev(1)];
  const value = queueValue(q);
  const more = enqueue(q, ev(2));
  assert.equal(value.events.length, 1);
  assert.equal(more.length, 2);
  acknowledge(more, 2);
  assert.equal(more.length, 2);
});

test("leaving the page: events Python has not acknowledged, or held back, are handed over and the browser asks", async () => {
  const { leaveAction } = await import("../src/sync.js");
  const q = [ev(10, "change"), ev(11, "select")];
  // sent, answer not in yet (ack below the newest seq)
  assert.deepEqual(leaveAction({ queue: q, seq: 11, ack: 9, held: false }), { flush: true, ask: true });
  assert.deepEqual(leaveAction({ queue: acknowledge(q, 10), seq: 11, ack: 10, held: false }), { flush: true, ask: true });
  // a just-added block held back for its short delay, not handed over yet
  assert.deepEqual(leaveAction({ queue: [ev(12)], seq: 12, ack: 11, held: true }), { flush: true, ask: true });
  assert.deepEqual(leaveAction({ queue: [ev(12)], seq: 12, ack: null, held: true }), { flush: true, ask: true });
  // all acknowledged: the tab closes without a question
  assert.deepEqual(leaveAction({ queue: acknowledge(q, 11), seq: 11, ack: 11, held: false }), { flush: false, ask: false });
  assert.deepEqual(leaveAction({ queue: [], seq: 0, ack: 0, held: false }), { flush: false, ask: false });
  // Python does not say what it handled (ack=None, the old contract): only held events count
  assert.deepEqual(leaveAction({ queue: q, seq: 11, ack: null, held: false }), { flush: false, ask: false });
});
