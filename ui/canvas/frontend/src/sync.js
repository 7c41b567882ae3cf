// When the canvas takes the graph and the selection Python sends. Pure functions, unit-tested
// in tests/: Canvas.jsx applies what they decide.
//
// Python passes `ack`, the seq of the last event it has handled. Props whose `ack` reaches the
// newest seq the canvas has sent answer every event it sent, so they are authoritative: the
// canvas shows their graph and selection even when they equal the previous props (Streamlit
// delivers them because `ack` changed). A graph that equals what the canvas last sent (or last
// took) is kept, with whatever the user has done since and not sent yet (a drag in progress, a
// click whose `select` is still pending). Props with an older `ack` come from a run that began
// before Python had the user's newer events: the canvas keeps what it shows and waits for the
// answer (those events ask for a run), so that a block just dropped never vanishes and no change
// is made on a graph that lacks it. Props without `ack` (`ack=None`, the old contract) only
// count when they changed, and a late echo of something the canvas sent is ignored.

/** True when props carrying `ack` answer every event sent so far (newest seq `seq`). */
export function isAnswered(ack, seq) {
  return typeof ack === "number" && Number.isFinite(ack) && ack >= seq;
}

const localKey = (local) => (typeof local === "function" ? local() : local);

/**
 * What to do with the `graph` prop.
 *
 * @param p.first      no graph shown yet
 * @param p.incoming   key of the graph prop
 * @param p.prop       key of the graph prop seen last time
 * @param p.local      key of the graph shown, or a function that computes it (called only
 *                     when needed: it walks the whole graph)
 * @param p.synced     key of the graph Python holds as far as the canvas knows (the last prop
 *                     taken or the last change sent)
 * @param p.sent       keys of changes sent and not echoed yet, oldest first
 * @param p.answered   isAnswered(ack, seq)
 * @param p.pending    Python has said which events it handled (a numeric `ack`) and has not
 *                     handled all those sent yet: its answer to them is coming (they ask for
 *                     a run), and this older graph is not taken (it lacks what they add)
 * @returns {action, sent}: action "none" (nothing to do), "synced" (the prop is what is shown),
 *          "keep" (the prop is what the canvas sent; keep the local edits made since),
 *          "echo" (a late echo of a change sent; the canvas has moved on) or "reset" (show the
 *          prop); `sent` is the list of pending changes afterwards
 */
export function graphAction({ first, incoming, prop, local, synced, sent, answered, pending }) {
  if (first) return { action: "reset", sent: [] };
  if (!answered && pending) {
    // a run that began before Python had the canvas's newest events: showing its graph would
    // drop what they add (a block just dropped), and a change made on it would be refused
    return { action: "none", sent };
  }
  if (answered) {
    // Python holds what the canvas sent or took last: keep the edits made since, if any
    if (incoming === synced) return { action: "keep", sent: [] };
  } else if (incoming === prop) {
    return { action: "none", sent };
  }
  if (incoming === localKey(local)) return { action: "synced", sent: [] };
  if (!answered) {
    const echoAt = sent.indexOf(incoming);
    if (echoAt >= 0) return { action: "echo", sent: sent.slice(echoAt + 1) };
  }
  return { action: "reset", sent: [] };
}

/**
 * What to do with the `selected` prop (JSON of the ids, or null: leave the selection alone).
 *
 * @param p.incoming   JSON of the selected prop, or null
 * @param p.prop       the same, seen last time
 * @param p.shown      JSON of the ids selected on the canvas
 * @param p.last       JSON of the selection last sent or taken
 * @param p.sent       JSONs of selections sent and not echoed yet, oldest first
 * @param p.answered   isAnswered(ack, seq)
 * @param p.pending    as for graphAction: Python's answer to newer events is coming
 * @returns {action, sent}: action "none", "synced", "keep", "echo" or "apply"
 */
export function selectionAction({ incoming, prop, shown, last, sent, answered, pending }) {
  if (incoming === null || (incoming === prop && !answered)) return { action: "none", sent };
  if (!answered && pending) return { action: "none", sent }; // the answer will say
  if (incoming === shown) return { action: "synced", sent: [] };
  if (answered) {
    return incoming === last ? { action: "keep", sent: [] } : { action: "apply", sent: [] };
  }
  const echoAt = sent.indexOf(incoming);
  if (echoAt >= 0) return { action: "echo", sent: sent.slice(echoAt + 1) };
  return { action: "apply", sent: [] };
}

// ---- the event queue ------------------------------------------------------------------
// Every event the canvas sends stays in a queue until Python acknowledges it (`ack` reaches
// its seq), and the component value is the whole queue: when Streamlit merges reruns (it
// delivers only the latest value), no event is replaced by a later one. Python applies each
// event with a seq above the last it handled, in order.

/** The next seq: strictly increasing, and still increasing after the iframe reloads. */
export function nextSeq(last, now = Date.now()) {
  return Math.max(last + 1, now);
}

/** The queue with `event` appended (its seq must exceed every queued one). */
export function enqueue(queue, event) {
  const last = queue.length ? queue[queue.length - 1].seq : -Infinity;
  if (!(event.seq > last)) throw new Error(`event seq ${event.seq} is not above ${last}`);
  return [...queue, event];
}

/** The queue without the events `ack` acknowledges (seq <= ack); the same array when none. */
export function acknowledge(queue, ack) {
  if (typeof ack !== "number" || !Number.isFinite(ack) || !queue.length) return queue;
  if (queue[0].seq > ack) return queue;
  return queue.filter((e) => e.seq > ack);
}

/**
 * What a `change` event carries besides its seq: the graph shown (`graph`), the `version` of
 * Python's graph it was made on (`base`), the last seq sent when that was taken (`baseSeq`),
 * and that graph itself (`baseGraph`, the level as Python gave it). A session that is gone (the
 * server restarted with the tab open) names a `base` the new one may never have held, where
 * another tab changed the design meanwhile: with `baseGraph`, whose digest the `base` names,
 * Python lays the change over what was saved since instead of refusing it.
 */
export function changeFields({ graph, base, baseSeq, baseGraph }) {
  const out = { graph, base, baseSeq };
  if (base !== null && base !== undefined && baseGraph && typeof baseGraph === "object") {
    out.baseGraph = baseGraph;
  }
  return out;
}

/** The component value for a queue. */
export function queueValue(queue) {
  return { events: queue };
}

/**
 * What to do when the page is about to go (`beforeunload`): with events handed to Python and
 * not acknowledged yet (`ack` below the newest `seq` sent, some still queued), or any held back
 * and not handed over yet (`held`), hand the queue over and have the browser ask before leaving
 * ("Leave site?"), so that the edit reaches Python and is saved rather than lost with the page;
 * with nothing pending, neither: the tab closes without a question.
 *
 * @param p.queue  the events not acknowledged yet (sync's queue)
 * @param p.seq    the newest seq sent
 * @param p.ack    the seq of the last event Python said it handled (null: it does not say,
 *                 so only events held back count)
 * @param p.held   events are queued and not handed over yet (a just-added block's short delay)
 * @returns {flush, ask}
 */
export function leaveAction({ queue, seq, ack, held }) {
  const waiting =
    Array.isArray(queue) && queue.length > 0 && typeof ack === "number" && Number.isFinite(ack) && ack < seq;
  const pending = Boolean(held && Array.isArray(queue) && queue.length) || waiting;
  return { flush: pending, ask: pending };
}

/**
 * Whether the blocks of a reveal (Canvas.jsx) are still looked at again when they, or the pane,
 * are measured again, at time `now`: until `watch.until` (a while after it was asked for), and
 * while Python has not answered the change that made them (`ack` below `watch.seq`: its answer
 * widens the cards, and the page it draws can narrow the pane with a scrollbar), but never
 * after `watch.end`.
 *
 * @param watch  {until, seq, end}
 * @param ack    the seq of the last event Python has handled (null: Python does not say)
 * @param now    performance.now()
 */
export function revealWatched(watch, ack, now) {
  if (!watch) return false;
  if (now <= watch.until) return true;
  const answered = typeof ack === "number" && Number.isFinite(ack) && ack >= watch.seq;
  return !answered && now <= watch.end;
}
