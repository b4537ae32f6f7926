"""``serve``'s observability flags and its configuration file (TOML): precedence flags > environment > file > defaults.

A file's keys are the flags' names with ``_`` for ``-`` (``--max-body-bytes`` is ``max_body_bytes``); a key no
flag has is an error naming it. docs/configuration.md lists every setting.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from learninggraph.settings import LOG_FORMATS, LOG_LEVELS

CONFIG_ENVIRONMENT_VARIABLE = "LEARNINGGRAPH_CONFIG"
# The serve options an environment variable also sets; the variable wins over the file.
ENVIRONMENT: Mapping[str, str] = {
    "database": "LEARNINGGRAPH_DATABASE_URL",
    "public_url": "LEARNINGGRAPH_PUBLIC_URL",
    "no_dev_identity": "LEARNINGGRAPH_DEV_IDENTITY",
    "log_format": "LEARNINGGRAPH_LOG_FORMAT",
    "log_level": "LEARNINGGRAPH_LOG_LEVEL",
    "metrics": "LEARNINGGRAPH_METRICS",
    "metrics_token": "LEARNINGGRAPH_METRICS_TOKEN",
    "no_journal": "LEARNINGGRAPH_JOURNAL",
    "journal_max_entries": "LEARNINGGRAPH_JOURNAL_MAX_ENTRIES",
    "fault": "LEARNINGGRAPH_FAULTS",
    "faults_file": "LEARNINGGRAPH_FAULTS_FILE",
    "fault_seed": "LEARNINGGRAPH_FAULT_SEED",
}
_OFF = ("0", "false", "no", "off")
_NOT_SETTINGS = ("help", "config", "run", "command", "serve_parser")


def add_serve_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--config",
        metavar="FILE",
        help=f"a TOML file of serve's settings (also ${CONFIG_ENVIRONMENT_VARIABLE})",
    )
    sub.add_argument("--log-format", choices=LOG_FORMATS, help="console log lines (default: text)")
    sub.add_argument("--log-level", choices=LOG_LEVELS, help="console log level; info logs each request")
    sub.add_argument(
        "--metrics",
        metavar="off|public|[HOST:]PORT",
        help="Prometheus metrics: off (default), public (GET /metrics on this port) or a separate listener",
    )
    sub.add_argument(
        "--metrics-token",
        metavar="TOKEN",
        help="with --metrics public, /metrics asks for 'Authorization: Bearer TOKEN' "
        "(better: $LEARNINGGRAPH_METRICS_TOKEN)",
    )
    sub.add_argument(
        "--no-journal",
        action="store_true",
        help="do not record requests in the request journal (also LEARNINGGRAPH_JOURNAL=0)",
    )
    sub.add_argument(
        "--journal-max-entries",
        type=int,
        metavar="N",
        help="journal entries kept per tenant, the oldest dropped first (default: 10000)",
    )
    sub.add_argument(
        "--fault",
        action="append",
        metavar="RULE",
        help="inject a fault while serving (repeat), e.g. 'status=503 route=*learningProviders* once'; "
        "a rule without tenant= is the dev identity's (also $LEARNINGGRAPH_FAULTS, rules separated by ';')",
    )
    sub.add_argument(
        "--faults-file",
        metavar="RULES.toml",
        help="inject the [[fault]] rules of this file while serving (also $LEARNINGGRAPH_FAULTS_FILE)",
    )
    sub.add_argument(
        "--fault-seed",
        type=int,
        metavar="N",
        help="seed the faults' probability rolls, for repeatable runs (also $LEARNINGGRAPH_FAULT_SEED)",
    )
    sub.set_defaults(serve_parser=sub)


def observability_settings(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The Settings fields of the flags above: the flag, else its environment variable, else None (the default)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name in ("log_format", "log_level", "metrics", "metrics_token"):
        given = getattr(args, name)
        values[name] = given if given is not None else env.get(ENVIRONMENT[name]) or None
    off = getattr(args, "no_journal", False) or env.get(ENVIRONMENT["no_journal"], "").lower() in _OFF
    values["journal"] = False if off else None
    bound = getattr(args, "journal_max_entries", None)
    if bound is None and env.get(ENVIRONMENT["journal_max_entries"]):
        try:
            bound = int(env[ENVIRONMENT["journal_max_entries"]])
        except ValueError:
            raise ValueError(
                f"{ENVIRONMENT['journal_max_entries']} must be a whole number, "
                f"not {env[ENVIRONMENT['journal_max_entries']]!r}"
            ) from None
    values["journal_max_entries_per_tenant"] = bound
    return values


def fault_settings(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Settings fields of the fault flags: the flag, else its environment variable, else the default."""
    env = os.environ if environ is None else environ
    specs: list[str] | None = args.fault
    if specs is None:
        specs = [spec.strip() for spec in env.get(ENVIRONMENT["fault"], "").split(";") if spec.strip()]
    seed = args.fault_seed if args.fault_seed is not None else env.get(ENVIRONMENT["fault_seed"]) or None
    try:
        fault_seed = None if seed is None else int(seed)
    except ValueError:
        raise ValueError(f"{ENVIRONMENT['fault_seed']} must be a whole number, not {seed!r}") from None
    return {
        "faults": tuple(specs),
        "faults_file": args.faults_file or env.get(ENVIRONMENT["faults_file"]) or None,
        "fault_seed": fault_seed,
    }


def parse_with_config(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parses ``argv``; for ``serve`` with a configuration file, its values become the defaults flags override."""
    args = parser.parse_args(argv)
    serve_parser: argparse.ArgumentParser | None = getattr(args, "serve_parser", None)
    if serve_parser is None:
        return args
    path = args.config or os.environ.get(CONFIG_ENVIRONMENT_VARIABLE)
    if not path:
        return args
    try:
        serve_parser.set_defaults(**file_defaults(serve_parser, path))
    except ValueError as exc:
        serve_parser.error(str(exc))
    return parser.parse_args(argv)


def file_defaults(
    serve_parser: argparse.ArgumentParser, path: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The file's values by option name, checked; those an environment variable sets are left out."""
    env = os.environ if environ is None else environ
    try:
        with open(path, "rb") as file:
            table = tomllib.load(file)
    except OSError as exc:
        raise ValueError(f"cannot read the configuration file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"the configuration file {path} is not valid TOML: {exc}") from None
    # A key is a flag's name with `_` for `-` (`--export-on-exit` → `export_on_exit`, `--import` → `import`).
    actions = {
        option[2:].replace("-", "_"): a
        for a in serve_parser._actions
        if a.dest not in _NOT_SETTINGS
        for option in a.option_strings
        if option.startswith("--")
    }
    values: dict[str, Any] = {}
    for key, value in table.items():
        action = actions.get(key)
        if action is None:
            raise ValueError(f"unknown setting {key!r} in the configuration file {path}")
        _check_type(key, value, action, path)
        if action.dest in ENVIRONMENT and ENVIRONMENT[action.dest] in env:
            continue
        values[action.dest] = list(value) if isinstance(value, list) else value
    return values


def _check_type(key: str, value: object, action: argparse.Action, path: str) -> None:
    if isinstance(action, argparse._StoreTrueAction):
        expected: tuple[type, ...] = (bool,)
    elif isinstance(action, argparse._AppendAction):
        expected = (list,)
    elif action.type is int:
        expected = (int,)
    elif action.type is float:
        expected = (int, float)
    else:
        expected = (str,)
    if isinstance(value, bool) and bool not in expected:
        expected = ()
    if not isinstance(value, expected):
        raise ValueError(f"the setting {key!r} in the configuration file {path} has the wrong type")
