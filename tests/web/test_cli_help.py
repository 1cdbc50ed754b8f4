"""`ponto-slack --help` and each command's: every command listed, every option described, defaults shown."""

from __future__ import annotations

import argparse

import pytest

from web.cli import parser


def subcommands(command: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def every_command() -> list[tuple[str, argparse.ArgumentParser]]:
    walk, out = [("ponto-slack", parser())], []
    while walk:
        name, command = walk.pop()
        out.append((name, command))
        walk += [(f"{name} {sub}", child) for sub, child in subcommands(command).items()]
    return out


def test_the_top_level_help_names_every_command() -> None:
    text = parser().format_help()
    for name in ("serve", "db", "sync", "invoices", "reconcile", "tokens", "keys", "sandbox"):
        assert f"    {name}" in text, name


@pytest.mark.parametrize(("name", "command"), every_command(), ids=[n for n, _ in every_command()])
def test_each_command_says_what_it_does_and_describes_every_option_with_its_default(
    name: str, command: argparse.ArgumentParser
) -> None:
    assert command.description, name
    for action in command._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        assert action.help, f"{name} {action.dest}"
        if action.default not in (None, False) and not action.required:
            assert "(default:" in command.format_help(), f"{name} {action.dest}"
