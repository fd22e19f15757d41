"""Versions, kept free of imports so the build command can read them outside a component."""

__version__ = "0.2.1"
# The WIT package this SDK bundles (the repository's wit/0.2/plugin.wit): column buffers cross
# the boundary as bytes, which componentize-py copies in one piece.
CONTRACT = "rechost:plugin@0.2.0"
# The componentize-py release the SDK is tested with (also pinned in pyproject.toml).
COMPONENTIZE_PY = "0.25.1"
