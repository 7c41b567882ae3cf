// The block palette: catalog grouped by category; a search ranks blocks by name (search.js). Drag an item onto
// the canvas to place it, or click it (or press Enter in the search box) to add it in view. An add clears the
// search, so the whole palette shows again for the next block: Enter in the search box keeps the focus there (type
// the next name), Enter on an item puts it back there, a click or a drag leaves it where it is.
import { memo, useMemo, useRef, useState } from "react";
import { categoryColor } from "./format.js";
import { insertable } from "./graph.js";
import { groupBlocks } from "./search.js";

export const DRAG_MIME = "application/x-layerloom-block";
// also set when the dragged block can go onto a wire (one input, one output): the canvas marks
// the wire under it while it is dragged (the type itself cannot be read before the drop)
export const INSERT_MIME = "application/x-layerloom-inserts";

function Palette({ catalog, onAdd, disabled }) {
  const [query, setQuery] = useState("");
  const search = useRef(null);
  // no query: the catalog by category; a query: one list, best match first (search.js)
  const groups = useMemo(() => {
    const found = groupBlocks(catalog, query);
    if (found) return found;
    const byCat = new Map();
    for (const spec of catalog) {
      if (!spec || !spec.type) continue;
      const cat = spec.category || "Other";
      if (!byCat.has(cat)) byCat.set(cat, []);
      byCat.get(cat).push(spec);
    }
    return [...byCat.entries()];
  }, [catalog, query]);

  /** Add a block; the search is done with, so the whole palette shows again. */
  const add = (type, refocus) => {
    onAdd(type);
    setQuery("");
    if (refocus && search.current) search.current.focus();
  };

  const onKeyDown = (e) => {
    if (e.key === "Enter" && groups.length && !disabled) add(groups[0][1][0].type, false);
    if (e.key === "Escape") setQuery("");
  };

  return (
    <aside className="ll-palette" aria-label="Blocks">
      <input
        ref={search}
        className="ll-search"
        data-testid="palette-search"
        type="search"
        placeholder="Search blocks…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onKeyDown}
        spellCheck={false}
      />
      <div className="ll-palette-list">
        {groups.length === 0 && <div className="ll-empty">No block matches “{query}”.</div>}
        {groups.map(([cat, specs]) => (
          <section key={cat} className="ll-group">
            <div className="ll-group-title">
              {cat}
            </div>
            {cat === "Activation" && (
              // a user from Keras looks for activation='relu' among a layer's params: here it
              // is a block of its own, and nothing said so where the blocks are picked
              <div className="ll-group-note" data-testid="palette-activation-note">
                A block of its own: put one after each Linear or Conv (Keras&apos;
                activation=&apos;relu&apos;).
              </div>
            )}
            {specs.map((spec) => (
              <div
                key={spec.type}
                className="ll-palette-item"
                style={{ "--cat": categoryColor(spec.category) }}
                data-testid={`palette-item-${spec.type}`}
                title={spec.help ? `${spec.type}: ${spec.help}` : spec.type}
                role="button"
                tabIndex={0}
                draggable={!disabled}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_MIME, spec.type);
                  e.dataTransfer.setData("text/plain", spec.type);
                  if (insertable(spec, spec.type)) e.dataTransfer.setData(INSERT_MIME, "1");
                  e.dataTransfer.effectAllowed = "copy";
                }}
                onDragEnd={(e) => {
                  // dropped where it was taken (the canvas): the block is added
                  if (e.dataTransfer && e.dataTransfer.dropEffect !== "none") setQuery("");
                }}
                onClick={() => !disabled && add(spec.type, false)}
                onKeyDown={(e) => {
                  if ((e.key === "Enter" || e.key === " ") && !disabled) {
                    e.preventDefault();
                    add(spec.type, true);
                  }
                }}
              >
                {spec.type}
              </div>
            ))}
          </section>
        ))}
      </div>
    </aside>
  );
}

export default memo(Palette);
