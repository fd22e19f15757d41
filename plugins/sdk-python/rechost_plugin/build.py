"""`python -m rechost_plugin build|bindings|wit`: componentize-py with the settings rechost needs.

Runs offline: componentize-py ships its own Python interpreter and standard library, and the
contract's WIT is bundled in this package.
"""

import argparse
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .version import COMPONENTIZE_PY, CONTRACT

PACKAGE = Path(__file__).resolve().parent
WIT = PACKAGE / "wit"
WORLD = "domain-plugin"


class BuildError(Exception):
    pass


def componentize_py_version():
    try:
        return importlib.metadata.version("componentize-py")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_toolchain():
    found = componentize_py_version()
    if found != COMPONENTIZE_PY:
        have = f"componentize-py {found} is installed" if found else "componentize-py is missing"
        raise BuildError(
            f"{have}; this SDK is built and tested with {COMPONENTIZE_PY}: "
            f"pip install componentize-py=={COMPONENTIZE_PY}"
        )


def componentize_py(*args):
    """Runs componentize-py from this interpreter (no reliance on PATH)."""
    code = "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], check=False)


def build(app, out, paths=()):
    """Builds module `app` (found in `paths`, default its folder or the working directory)
    into the component `out`."""
    check_toolchain()
    app_path = Path(app)
    if app_path.suffix == ".py":
        module, search = app_path.stem, [app_path.resolve().parent]
    else:
        module, search = app, [Path.cwd()]
    search = [Path(p).resolve() for p in paths] or search
    if not any((p / f"{module}.py").exists() or (p / module).is_dir() for p in search):
        raise BuildError(f"no module {module!r} in {', '.join(map(str, search))}")
    with tempfile.TemporaryDirectory(prefix="rechost-sdk-") as sdk:
        # Only the SDK's own files: the folder it is installed in may hold a whole site-packages.
        shutil.copytree(PACKAGE, Path(sdk) / PACKAGE.name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        path_args = [a for p in [*search, Path(sdk)] for a in ("-p", p)]
        result = componentize_py("-q", "-d", WIT, "-w", WORLD, "componentize", module,
                                 *path_args, "-o", out)
    if result.returncode != 0:
        raise BuildError(f"componentize-py failed building {module!r} (exit {result.returncode})")
    return Path(out)


def bindings(folder):
    """Generates the `wit_world` bindings into `folder` (to import the SDK outside a build)."""
    check_toolchain()
    result = componentize_py("-q", "-d", WIT, "-w", WORLD, "bindings", folder)
    if result.returncode != 0:
        raise BuildError(f"componentize-py could not generate bindings into {folder}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rechost_plugin",
                                     description=f"Build rechost plugins ({CONTRACT}).")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build a plugin module into a .wasm component")
    build_cmd.add_argument("app", help="module name or .py file defining `Plugin`")
    build_cmd.add_argument("-o", "--out", default="plugin.wasm", help="component to write")
    build_cmd.add_argument("-p", "--path", action="append", default=[],
                           help="folder holding the module and its imports (repeatable)")
    bindings_cmd = commands.add_parser("bindings", help="generate wit_world bindings for tests")
    bindings_cmd.add_argument("folder")
    commands.add_parser("wit", help="print the folder of the bundled WIT")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            out = build(args.app, args.out, args.path)
            print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        elif args.command == "bindings":
            bindings(args.folder)
        else:
            print(WIT)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
