// Vendors plotly.js (the basic bundle: scatter, bar, pie) from node_modules into src/, which
// Streamlit serves as it is: the component's own files are plain ES modules, with no bundler.
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
copyFileSync(join(here, "node_modules", "plotly.js-basic-dist-min", "plotly-basic.min.js"),
             join(here, "src", "plotly-basic.min.js"));
console.log("vendored plotly-basic.min.js into src/");
