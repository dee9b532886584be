"""The Jupyter kernel the workshop notebooks declare, `conda_python3`, provided locally.

On a SageMaker notebook instance `conda_python3` is the instance's Python 3 conda environment, so the
notebooks name it in their metadata and open there without a "select kernel" prompt. Locally no such
kernel exists; `allstore local notebook` writes a kernelspec of that name running this interpreter
(which has the store's packages) into the store's state directory and puts it on JUPYTER_PATH, so
the same notebooks open unchanged. Nothing is installed into the user's own Jupyter folders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KERNEL_NAME = "conda_python3"


def write_kernelspec(jupyter_dir: Path, python: str = sys.executable) -> Path:
    """Write `<jupyter_dir>/kernels/conda_python3/kernel.json` and return `jupyter_dir` (a JUPYTER_PATH entry)."""
    kernel_dir = jupyter_dir / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"{KERNEL_NAME} (AllStore local)",
        "language": "python",
        "metadata": {"debugger": True},
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return jupyter_dir
