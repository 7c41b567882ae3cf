// Entry point: wires Streamlit's render events to the canvas.
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { ReactFlowProvider } from "@xyflow/react";
// the Streamlit class alone: the package index also pulls in its React 16 helpers
import { Streamlit } from "streamlit-component-lib/dist/streamlit.js";
import Canvas from "./Canvas.jsx";
import "@xyflow/react/dist/style.css";
import "./styles.css";

function Root() {
  const [render, setRender] = useState(null);
  useEffect(() => {
    const onRender = (event) => setRender(event.detail);
    Streamlit.events.addEventListener(Streamlit.RENDER_EVENT, onRender);
    Streamlit.setComponentReady();
    return () => Streamlit.events.removeEventListener(Streamlit.RENDER_EVENT, onRender);
  }, []);
  if (!render) return null;
  return (
    <ReactFlowProvider>
      <Canvas args={render.args || {}} disabled={Boolean(render.disabled)} stTheme={render.theme} />
    </ReactFlowProvider>
  );
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
