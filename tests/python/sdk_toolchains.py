"""The guest-language toolchains the SDK tests use (pinned by plugins/sdk-python and
plugins/sdk-js), found or reported: with CI set a missing toolchain fails the test, elsewhere it
skips it. tests/sdk/install.sh installs both."""

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SDK_PY = REPO / "plugins" / "sdk-python"
SDK_JS = REPO / "plugins" / "sdk-js"
INSTALL = "bash tests/sdk/install.sh"

sys.path.insert(0, str(SDK_PY))
from rechost_plugin.version import COMPONENTIZE_PY  # noqa: E402


def missing(message):
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: toolchains are required; install with {INSTALL})")
    pytest.skip(f"{message}; install with {INSTALL}")


def require_python_toolchain():
    try:
        found = importlib.metadata.version("componentize-py")
    except importlib.metadata.PackageNotFoundError:
        found = None
    if found != COMPONENTIZE_PY:
        missing(f"componentize-py {COMPONENTIZE_PY} is needed, found {found}")


def require_js_toolchain():
    if shutil.which("node") is None:
        missing("node is not installed")
    if not (SDK_JS / "node_modules" / "@bytecodealliance" / "jco").is_dir():
        missing(f"the JS toolchain is not installed in {SDK_JS} (npm ci)")


def run(args, cwd=REPO, **kwargs):
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result


def build_python(app, out, paths=()):
    require_python_toolchain()
    extra = [a for p in paths for a in ("-p", p)]
    run([sys.executable, "-m", "rechost_plugin", "build", app, "-o", out, *extra],
        env={**os.environ, "PYTHONPATH": str(SDK_PY)})
    return out


def build_js(entry, out):
    require_js_toolchain()
    run(["node", SDK_JS / "bin" / "build.mjs", entry, "-o", out])
    return out
