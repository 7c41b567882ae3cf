"""Help page: a newcomer's first hour in steps, the designer's mouse and keys, and the usual
mistakes with what LayerLoom says about each and where to fix it. Static text: it names the
pages and buttons as they read, so a change to those changes this page too
(tests/ui/test_pages_help.py checks the names it gives)."""

from __future__ import annotations

import streamlit as st

# the pages, in the order of a first hour: (page, what to do there)
STEPS = (
    ("Designer", "Start from **New**: a template (seed-cnn is the design note's Keras CNN for "
                 "28×28 digits) or a blank design. Double-click the canvas to search and add a "
                 "block; drag from a block's right dot to another's left dot to wire them. "
                 "Click a block to set its params on the right. The status bar under the "
                 "canvas says *valid*, or how many errors: click it for the list, and a "
                 "problem picked there selects its block."),
    ("Data", "Choose what to train on: a built-in dataset (mnist-5k, digits, iris…) or your "
             "own file. Where the design does not fit the data, the page names each fix, and "
             "**Fit the design to …** makes those that need no new block."),
    ("Train", "Set the epochs, the learning rate and the batch size under **Training "
              "settings**, then **Start training**: the curves draw as it trains. **Pause** "
              "or **Stop** keep the run; **Resume** goes on from where it stopped."),
    ("Results", "How the run did on the test set: accuracy, the confusion matrix, each "
                "class's scores and the samples it got most confidently wrong."),
    ("Runs", "Every run, each design's in a table of its own; pick runs under **Compare** to "
             "draw their curves together, or launch a sweep that tries several settings."),
    ("Export", "Build the trained model as files: PyTorch code with its weights, "
               "TorchScript, ONNX, a bundle with its card, or a project that trains without "
               "LayerLoom. Each file is loaded back and checked before it is offered."),
)

# the canvas's mouse and keys: (what, how)
CONTROLS = (
    ("Add a block", "double-click the canvas, or drop a wire on empty space (the new block "
                    "comes wired); or drag one in from the palette (› Blocks shows it where "
                    "it is folded)"),
    ("Put a block between two others", "drop it from the palette onto their wire"),
    ("Select several", "Shift-click them, or drag a box around them; then **Group** makes "
                       "them one block (double-click it to open it)"),
    ("Delete", "Delete or Backspace; the blocks either side stay wired together"),
    ("Undo, redo", "Ctrl+Z, Ctrl+Shift+Z (or the toolbar's buttons)"),
    ("See the whole design", "F, or **Fit view**; **Auto layout** arranges it in rows"),
    ("Move around", "the wheel scrolls, Ctrl+wheel zooms; right-click the empty canvas for "
                    "add, paste, auto layout and fit"),
)

# the usual mistakes: (mistake, what LayerLoom says and where, what to do)
MISTAKES = (
    ("No Flatten between the last convolution or pooling and a Linear",
     "The Linear is marked: it acts on the last dimension only, fed a feature map it gives "
     "one output per row, not per sample.",
     "Add a **Flatten** (or a global pooling) before the Linear: drop it on their wire."),
    ("The Input's shape is not the data's (28, 28 or Keras' 28, 28, 1 for a 1×28×28 image)",
     "The Input, or the first block it feeds, is marked with the shape to set (\"set "
     "image's shape to [1, 28, 28]\").",
     "Click the Input and type the shape it names; images are channels × height × width, "
     "the channels first (Keras writes them last)."),
    ("A block's in_channels written by hand and wrong",
     "The block is marked: in_channels is 16, but its input gives 32.",
     "Click the block, then the button under its in_channels (\"Leave in_channels out: "
     "infer it from the input\"): LayerLoom works it out from the block before."),
    ("The last Linear's out_features is not the number of classes (Dense(1) for 10 digits)",
     "The status bar says \"1 error with mnist-5k\" and the Linear is marked with the count "
     "the data needs.",
     "Set its out_features to the number of classes (the classes variable of a template)."),
    ("Pooling shrinks the image below 1 pixel",
     "The pooling block is marked: its window is larger than its input.",
     "Use a smaller kernel_size, or fewer pooling blocks."),
    ("A Softmax before the Output of a classifier",
     "A warning, not an error: training's cross-entropy applies softmax itself, so the "
     "trainer leaves it out while training.",
     "Delete it; the Results page and the exported predict.py still show probabilities."),
)


def controls_table() -> str:
    """CONTROLS as a Markdown table whose columns are as wide as their text needs: each action
    on one line (its spaces unbreakable), each 'how' taking the rest. ``st.table`` held every
    cell to 400 px whatever its column's width, which at 1024 px broke 'Add a block' over three
    lines beside a 'To' column a third of the page wide."""
    rows = [f"| {what.replace(' ', chr(0xA0))} | {how} |" for what, how in CONTROLS]
    return "\n".join(["| To | do |", "| --- | --- |", *rows])


def render(state) -> None:
    del state  # the same help for every project
    st.header("Help")
    st.caption("LayerLoom builds a neural network from blocks you wire on a canvas, trains it "
               "on real data and exports it. Every edit is saved as you make it.")
    st.subheader("Your first hour")
    for number, (page, what) in enumerate(STEPS, 1):
        st.markdown(f"{number}. **{page}** (top bar): {what}")
    st.subheader("On the canvas")
    with st.container(key="help-controls"):
        st.markdown(controls_table())
    st.subheader("Common mistakes, and what to do")
    st.caption("Each is stopped before training: the block is marked on the canvas and in the "
               "inspector, and the status bar counts it.")
    for mistake, said, fix in MISTAKES:
        with st.expander(mistake):
            st.markdown(f"**What you see.** {said}\n\n**What to do.** {fix}")
