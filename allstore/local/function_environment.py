"""Which environment variables a function configuration may set on the local store.

Locally a function runs as a process of the user who started the store, so a variable that changes
how a process starts — which library the loader preloads, which file a shell or interpreter runs
first, which program `webbrowser` or git launches, where commands are looked up — would let whoever
can change a configuration run code as that user. The rule: refuse every variable read at start-up
by the dynamic loader, the shells, the interpreters and libraries the function's process (or a
child it starts) uses, and the ones Lambda itself reserves. On AWS the code runs in Lambda's
sandbox, where most of these are allowed; locally they are refused with Lambda's own error
(InvalidParameterValueException, 400) naming them, never silently dropped.
"""

from __future__ import annotations

import re
from typing import Any

# Prefixes: every variable of the family.
REFUSED_PREFIXES = (
    "LD_",  # the dynamic loader: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ...
    "DYLD_",  # the macOS dynamic loader
    "PYTHON",  # the interpreter: PYTHONSTARTUP, PYTHONPATH, PYTHONWARNINGS, PYTHONHOME, PYTHONINSPECT, ...
    "PERL",  # PERL5OPT, PERL5LIB, PERLLIB, PERL5DB
    "RUBY",  # RUBYOPT, RUBYLIB
    "NODE_",  # NODE_OPTIONS (--require), NODE_PATH
    "BASH_FUNC_",  # exported shell functions, run by every bash the process starts
    "GIT_",  # GIT_SSH_COMMAND, GIT_CONFIG_*, GIT_EXEC_PATH: commands git runs
    "OPENSSL_",  # OPENSSL_CONF loads engines (shared libraries), OPENSSL_ENGINES
    "MALLOC_",  # glibc allocator tunables and hooks
)
# Single variables.
REFUSED_NAMES = frozenset(
    {
        "PATH",  # where every command (and a shell's first word) is looked up
        "ENV",  # the file POSIX sh (dash) runs at start
        "BASH_ENV",  # the file non-interactive bash runs at start
        "SHELLOPTS",  # with xtrace, PS4 is expanded (command substitution) by every bash
        "BASHOPTS",
        "PS4",
        "PROMPT_COMMAND",
        "IFS",
        "BROWSER",  # the command Python's webbrowser module runs
        "EDITOR",  # commands other programs run
        "VISUAL",
        "PAGER",
        "JAVA_TOOL_OPTIONS",  # -javaagent: code every JVM loads
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "CLASSPATH",
        "GCONV_PATH",  # glibc's character-set converters are shared libraries
        "GLIBC_TUNABLES",
        "HOSTALIASES",
        "LOCPATH",
        "NLSPATH",
        "TMPDIR",  # where a process writes (and may later run) temporary files
        "HOME",  # ~/.pythonrc, ~/.gitconfig, ~/.bashrc and friends are read from here
        "ALLSTORE_AWS_CALL_LOG",  # the tests' call record: the worker would write files where it says
        # Reserved by Lambda itself (refused on AWS too, with this same error).
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
# Lambda's rule for a key: a letter, then letters, digits and underscores.
KEY_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")


def refused_variables(variables: dict[str, Any]) -> list[str]:
    """The names in `variables` a local function configuration may not set, sorted."""
    return sorted(
        name
        for name in variables
        if name.upper() in REFUSED_NAMES or name.upper().startswith(REFUSED_PREFIXES)
    )


def environment_error(configuration: Any) -> str | None:
    """Why a CreateFunction / UpdateFunctionConfiguration body's `Environment` is refused, or None."""
    if not isinstance(configuration, dict):
        return None
    environment = configuration.get("Environment")
    if environment is None:
        return None
    variables = environment.get("Variables") if isinstance(environment, dict) else None
    if not isinstance(variables, dict):
        return "Environment.Variables must be a map of strings."
    malformed = sorted(name for name in variables if not KEY_PATTERN.fullmatch(str(name)))
    if malformed:
        return f"Environment variable names must match [a-zA-Z][a-zA-Z0-9_]+: {', '.join(malformed)}"
    refused = refused_variables(variables)
    if refused:
        return (
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(refused)} "
            "(the local store also refuses variables that change how a process starts; see docs/local.md)"
        )
    return None
