"""Helpers for the AllStore workshop notebooks, the same on a SageMaker notebook instance and locally.

The notebooks read data through the project's data layer, `allstore_common.records` (standard
library only, shipped in the Lambda layer). Locally it is installed; on the notebook instance the
repository is cloned but nothing is installed, so the repository's `functions/common` (for
`allstore_common`) and its root (for `allstore.workshop`, the clean-up shared with the
`allstore workshop cleanup` command) are put on `sys.path` here. That needs no `%pip install`
and no network, and keeps one copy of the parsing code.
"""

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

for _folder in (REPOSITORY / "functions" / "common", REPOSITORY):
    if str(_folder) not in sys.path:
        sys.path.append(str(_folder))
