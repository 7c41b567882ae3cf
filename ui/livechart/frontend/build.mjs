// Vendors plotly.js (the cartesian bundle: scatter, bar, heatmap, histogram, box, contour, pie)
// from node_modules into src/, which Streamlit serves as it is: the component's own files are
// plain ES modules, with no bundler. Heatmaps draw the live layer diagnostics.
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
copyFileSync(join(here, "node_modules", "plotly.js-cartesian-dist-min", "plotly-cartesian.min.js"),
             join(here, "src", "plotly-cartesian.min.js"));
console.log("vendored plotly-cartesian.min.js into src/");
