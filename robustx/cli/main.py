"""The root command and the one error boundary that turns robustx errors into one clean line."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from robustx.base.errors import Preempted, RobustxError

DEBUG_ENV = "ROBUSTX_DEBUG"


class RobustxGroup(click.Group):
    """A click group whose subcommands' robustx errors become ``Error: ...`` and exit code 1.

    Plugin commands (hook ``robustx_register_commands``, entry-point group ``robustx.commands``)
    are added the first time the group lists its commands or is asked for one it lacks, so ``cli``
    is complete however it is invoked, and ``robustx recipe ...`` never imports a plugin for them.
    """

    _plugin_commands_loaded = False

    def _load_plugin_commands(self) -> None:
        if not self._plugin_commands_loaded:
            self._plugin_commands_loaded = True
            from robustx.host.manager import get_host  # lazy: a command's code loads when it runs, not at --help

            get_host().call_hook("robustx_register_commands", cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands:
            self._load_plugin_commands()
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Preempted as exc:  # SIGTERM/SIGUSR1: state saved; one line with the command that continues
            click.echo(str(exc), err=True)
            ctx.exit(exc.exit_code)
        except RobustxError as exc:
            if _debug(ctx):
                raise
            click.echo(f"Error: {_bounded(str(exc))}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted. A run can continue with `robustx recipe run ... --resume RUN_DIR`.", err=True)
            ctx.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as exc:  # a file error not caught where it happened: still name the file
            if _debug(ctx):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {_bounded(where + (exc.strerror or str(exc)))} (run with --debug for the traceback)",
                       err=True)
            ctx.exit(1)
        except Exception as exc:  # noqa: BLE001 - a bug still gets one line; --debug shows where
            if _debug(ctx):
                raise
            click.echo(f"Error: unexpected {type(exc).__name__}: {_bounded(str(exc))} "
                       "(run with --debug for the traceback)", err=True)
            ctx.exit(1)


def _bounded(message: str, limit: int = 2000) -> str:
    """At most ``limit`` characters: an error message must never flood the terminal."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug")) or os.environ.get(DEBUG_ENV) == "1"


@click.group(cls=RobustxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.version_option(package_name="robustx")
def cli(debug: bool) -> None:
    """robustx: train robust image classifiers and measure how robust they really are.

    \b
    Start here:
      robustx recipe list                      recipes you can run
      robustx recipe run quickstart            PGD adversarial training on digits (~2 min, CPU)
      robustx recipe run mnist_pgd_at train.epochs=1 data.limit=500
                                               any key=value overrides a recipe field
      robustx list attacks 'pgd*'              registered attacks (also defenses,
                                               architectures, datasets, transforms)
      robustx plugins                          installed plugins and what they registered
      robustx eval runs/quickstart-... --attack "pgd eps=0.2 steps=20"
      robustx audit runs/quickstart-...        check the numbers for gradient masking

    Attack budgets are in [0,1] pixel units; write 8/255 as a fraction.
    Disable plugins with ROBUSTX_DISABLE_PLUGINS=name1,name2.
    """


def _add_builtin_commands() -> None:
    # lazy: a command's code loads when it runs, not at --help
    from robustx.cli import audit_cmd, eval_cmd, hub_cmd, list_cmds, recipe_cmds, study_cmds

    cli.add_command(recipe_cmds.recipe)
    cli.add_command(list_cmds.list_components)
    cli.add_command(list_cmds.plugins)
    cli.add_command(eval_cmd.eval_run)
    cli.add_command(audit_cmd.audit)
    cli.add_command(hub_cmd.push)
    cli.add_command(study_cmds.study)


_add_builtin_commands()


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="robustx")
