"""The `newsmon` command line. Each area's commands live in monitor/commands/."""

from __future__ import annotations

import importlib
import logging

import click

from monitor.context import AppContext
from monitor.logs import setup_logging

# Modules under monitor.commands whose `commands` lists make up the CLI.
COMMAND_MODULES = (
    "crawl",
    "mirror",
    "relevance",
    "rescore",
    "digest",
    "notify",
    "daemon",
    "stories",
    "db",
    "web",
    "parse",
    "export",
    "worker",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: $NEWSMON_CONFIG, else ./newsmon.toml, else built-in defaults).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress display (results and errors are still printed)."
)
@click.version_option(package_name="newsmon", prog_name="newsmon")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool) -> None:
    """Watch news sites for Hanoi–Russia cooperation, store each article once, email digests."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    setup_logging(level)
    ctx.obj = AppContext(config_path=config_path, verbose=verbose, quiet=quiet)


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"monitor.commands.{name}")
        for command in module.commands:
            cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    _register()
    cli.main(args=argv, prog_name="newsmon")
