"""Data files shipped with LayerLoom (templates, the canvas bundle); read with importlib.resources."""
