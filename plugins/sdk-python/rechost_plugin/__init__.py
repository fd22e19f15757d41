"""Write rechost domain plugins in Python (componentize-py).

A plugin module builds its manifest with the helpers below, writes a transform over column
readers, and binds the exported class as `Plugin`:

    import rechost_plugin as rp

    MANIFEST = rp.manifest(name=..., version=..., source=rp.source(...), datasets=[...])

    def transform(input, options):
        ...
        return rp.output(rp.batch(rp.utf8(users), ...), dropped=drops)

    Plugin = rp.export(MANIFEST, transform)

Build it with `python -m rechost_plugin build app -o plugin.wasm`.
"""

from .version import COMPONENTIZE_PY, CONTRACT, __version__

# Everything else needs the generated bindings, which exist only inside a component build (or
# after `python -m rechost_plugin bindings`): import on first use, so `python -m rechost_plugin
# build` works from a plain Python.
_EXPORTS = {
    "bits": ["Mask", "where"],
    "builders": [
        "BoolBuilder", "Float64Builder", "Int64Builder", "TimestampBuilder", "Utf8Builder",
        "boolean", "constant_utf8", "float64", "int64", "timestamp", "utf8",
    ],
    "columns": [
        "BoolColumn", "Float64Column", "Input", "Int64Column", "TimestampColumn", "Utf8Column",
    ],
    "manifest": [
        "column", "dataset", "entity", "events", "manifest", "option", "recommender", "source",
    ],
    "plugin": ["DropCounter", "batch", "batch_of", "describe_error", "export", "output"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["COMPONENTIZE_PY", "CONTRACT", "__version__", *_MODULE_OF]


def _load(module):
    import importlib

    loaded = importlib.import_module(f"{__name__}.{module}")
    for name in _EXPORTS[module]:
        globals()[name] = getattr(loaded, name)


def __getattr__(name):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'rechost_plugin' has no attribute {name!r}")
    _load(module)
    return globals()[name]


try:
    import wit_world  # noqa: F401
except ImportError:
    pass
else:
    # Inside a component build: import everything now. componentize-py snapshots the modules
    # imported while it builds; a component has no files to import from later.
    for _module in _EXPORTS:
        _load(_module)
