"""The whole local store, running, for the tests that probe every port it opens: the integration
suite's store, started once for this package and stopped when its tests are done (moto's state is
per process, so no other in-process local AWS may start while it runs)."""

from __future__ import annotations

from tests.integration.conftest import RunningStore, running_store, web_dir

__all__ = ["RunningStore", "running_store", "web_dir"]
