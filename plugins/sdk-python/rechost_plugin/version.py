"""Versions, kept free of imports so the build command can read them outside a component."""

__version__ = "0.1.0"
# The WIT package this SDK bundles (wit/plugin.wit); the host loads any 0.1.x plugin.
CONTRACT = "rechost:plugin@0.1.0"
# The componentize-py release the SDK is tested with (also pinned in pyproject.toml).
COMPONENTIZE_PY = "0.25.1"
