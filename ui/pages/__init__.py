"""The app's pages: each module exposes ``render(state)``."""
