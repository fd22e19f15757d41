"""The generated WIT bindings, imported in one place.

componentize-py generates the `wit_world` and `componentize_py_types` modules while it builds a
component. Outside a build (tests, a REPL) generate them first with
`python -m rechost_plugin bindings DIR` and put DIR on `sys.path`.
"""

try:
    from componentize_py_types import Err
    from wit_world.imports import columns, types
    from wit_world import exports
except ImportError as error:  # pragma: no cover - depends on how Python was started
    raise ImportError(
        f"the rechost plugin bindings are not importable ({error}): build with "
        "`python -m rechost_plugin build`, or generate them with "
        "`python -m rechost_plugin bindings DIR` and add DIR to sys.path"
    ) from error

__all__ = ["Err", "columns", "types", "exports"]
