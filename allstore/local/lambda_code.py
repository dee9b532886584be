"""Load a Lambda function's handler from its code folder, the way the Lambda runtime does.

Every function's module is called `app`, so each load gets its own module name and a fresh
import: two functions never share module state, and a load after an environment change sees the
new environment (as a Lambda cold start would).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]
_load_counter = itertools.count()


def load_handler(code_dir: str | Path, handler: str = "app.lambda_handler") -> Handler:
    """Import `<code_dir>/<module>.py` afresh and return its handler function.

    `handler` is the template's `Handler` property (`module.function`).
    """
    module_name, _, function_name = handler.rpartition(".")
    source = Path(code_dir) / f"{module_name.replace('.', '/')}.py"
    if not source.is_file():
        raise FileNotFoundError(f"handler module {source} does not exist")
    unique_name = f"_lambda_{source.parent.name}_{module_name}_{next(_load_counter)}"
    spec = importlib.util.spec_from_file_location(unique_name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as a normal import is: dataclasses and postponed annotations
    # look the module up in sys.modules.
    sys.modules[unique_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[unique_name]
        raise
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"{source} has no handler function {function_name!r}")
    return function
