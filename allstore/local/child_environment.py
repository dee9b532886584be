"""The environment the store's child processes start with: an allow-list, never the user's own.

The user who runs the store may have real AWS keys, a GitHub token or other secrets in their shell;
the search and Personalize servers and the functions' workers need none of them, and a function's
handler (or a library it loads) must not be able to read them. So each child gets only the host
basics a Python process needs to run (where commands are, the home directory, the locale, the
temporary directory, the time zone, thread-count settings), then the variables the runner gives it
on purpose. The AWS SDK is kept from the user's `~/.aws` files, which could hold a profile's keys,
retry settings or endpoints, and from ever asking an instance-metadata service for credentials;
a call to a local server that is down fails at once instead of after botocore's retries (the
event-source pollers and the handlers' fallbacks retry instead). The tests' switch for recording
every AWS call (aws_call_log) passes through when set.
"""

from __future__ import annotations

import os

from allstore.local.aws_call_log import VARIABLE as CALL_LOG_VARIABLE

HOST_VARIABLES = frozenset({"PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TZ", "SYSTEMROOT"})
HOST_PREFIXES = ("LC_",)  # LC_ALL, LC_CTYPE, ...
# Thread pools of the numeric libraries: a user's limit on a shared machine still applies.
THREAD_VARIABLES = frozenset(
    {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"}
)
SDK_ISOLATION = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_RETRY_MODE": "standard",
    "AWS_MAX_ATTEMPTS": "1",  # honoured by every client whose code does not set its own
}


def host_environment() -> dict[str, str]:
    """The allowed variables of this process's environment."""
    return {
        name: value
        for name, value in os.environ.items()
        if name in HOST_VARIABLES
        or name in THREAD_VARIABLES
        or name.startswith(HOST_PREFIXES)
        or name == CALL_LOG_VARIABLE
    }


def child_environment(own: dict[str, str] | None = None) -> dict[str, str]:
    """What a child starts with: the host basics, the SDK isolation, then `own` (its configuration)."""
    return {**host_environment(), **SDK_ISOLATION, **(own or {})}
