// Search-to-add: a search box at the pointer (double-click on the empty canvas, a wire dropped
// on empty space, or "Add block…" in the canvas's menu). Typing ranks the blocks (search.js);
// Enter or a click adds the highlighted one there, Escape or a click elsewhere closes it.
import { memo, useEffect, useMemo, useRef, useState } from "react";
import { categoryColor } from "./format.js";
import { usePlacedInside } from "./popup.js";
import { rankBlocks } from "./search.js";

const MAX_SHOWN = 9;

function QuickAdd({ x, y, catalog, hint, onPick, onClose }) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const input = useRef(null);
  const box = useRef(null);
  const at = usePlacedInside(box, x, y); // whole inside the pane, however long its list
  const hits = useMemo(() => rankBlocks(catalog, query).slice(0, MAX_SHOWN), [catalog, query]);

  useEffect(() => {
    // focus after the event that opened the box has finished (a double-click selects text)
    const t = setTimeout(() => input.current && input.current.focus({ preventScroll: true }), 0);
    return () => clearTimeout(t);
  }, []);

  const onKeyDown = (e) => {
    e.stopPropagation(); // the canvas's keys (Delete, F, Ctrl+Z) are not for this box
    if (e.key === "Escape") {
      e.preventDefault();
      onClose();
    } else if (e.key === "Enter") {
      e.preventDefault();
      const hit = hits[Math.min(active, hits.length - 1)];
      if (hit) onPick(hit.type);
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, Math.max(hits.length - 1, 0)));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    }
  };

  return (
    <div
      className="ll-quick"
      ref={box}
      style={{ left: at.x, top: at.y }}
      data-testid="quick-add"
      onMouseDown={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
      onContextMenu={(e) => e.preventDefault()}
    >
      {hint && <div className="ll-quick-hint">{hint}</div>}
      <input
        ref={input}
        className="ll-search"
        data-testid="quick-add-search"
        type="search"
        placeholder="Add a block: type its name…"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
        spellCheck={false}
        autoComplete="off"
      />
      <div className="ll-quick-list" role="listbox">
        {hits.length === 0 && <div className="ll-empty">No block matches “{query}”.</div>}
        {hits.map((spec, i) => (
          <div
            key={spec.type}
            role="option"
            aria-selected={i === active}
            className={i === active ? "ll-quick-item ll-quick-active" : "ll-quick-item"}
            style={{ "--cat": categoryColor(spec.category) }}
            data-testid={`quick-add-item-${spec.type}`}
            title={spec.help || spec.type}
            // a pointer that moves over an item highlights it; one resting where the wire
            // was dropped does not, as the list changes under it while the user types
            onMouseMove={() => i !== active && setActive(i)}
            onClick={() => onPick(spec.type)}
          >
            <span className="ll-quick-type">{spec.type}</span>
            <span className="ll-quick-cat">{spec.category || ""}</span>
          </div>
        ))}
      </div>
    </div>
  );
}

export default memo(QuickAdd);
