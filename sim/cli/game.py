"""``socsim game``: the live classroom game, thin commands over :mod:`sim.game`.

Registered on the ``socsim`` app as a command group by :mod:`sim.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import reported_errors
from ..terminal import console, err, say, warning

__all__ = ["game_app"]

game_app = typer.Typer(name="game", no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
                       help="A live classroom game: teams run brands in one market over rounds, from their browsers.")


def _links(game, host: str, port: int) -> None:
    shown = "<this machine's address>" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    say("instructor: ", (f"{base}/i/{game.store.meta('instructor')}", "bold"), "  (keep this one to yourself)")
    for team, token in game.store.tokens().items():
        console.print(f"  {team}: {base}/t/{token}", highlight=False)


@game_app.command("new")
def new(
    game_file: Path = typer.Argument(..., help="Game file (YAML): market, rounds, teams, levers. See experiments/game_example.yaml.", show_default=False),
    out: Optional[Path] = typer.Option(None, "--out", help="Game folder to create (default: games/<file name>). Never overwritten."),
) -> None:
    """Check a game file and create the game (a folder with game.sqlite); prints the join codes.

    Example:  socsim game new experiments/game_example.yaml --out games/class1
    """
    from ..game.game import Game

    with reported_errors():
        folder = out or Path("games") / game_file.stem
        game = Game.create(game_file, folder)
    say("game ", (game.spec.name, "bold"), " created in ", (str(folder), "bold"), f": {len(game.rules.names)} teams, "
        f"{game.spec.rounds} rounds × {game.spec.days_per_round} days")
    say("instructor code: ", (game.store.meta("instructor"), "bold"), "  (keep this one to yourself)")
    for team, token in game.store.tokens().items():
        console.print(f"  {team}: {token}", highlight=False)
    console.print(f"serve it with:  socsim game serve {folder}  (the codes are stored in {folder}/game.sqlite)")


@game_app.command("serve")
def serve(
    folder: Path = typer.Argument(..., help="Game folder made by 'socsim game new'.", show_default=False),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on. Loopback (default) keeps it on this machine; 0.0.0.0 opens it to the room's network."),
    port: int = typer.Option(8780, "--port", min=1, max=65535, help="Port of the pages."),
) -> None:
    """Serve the game: the instructor console and one page per team (join by code).

    Stop it any time (Ctrl+C, or even kill it): every decision and result is in the
    game's SQLite file; serving it again continues where it was, and a round that was
    being simulated is simulated again from its stored decisions.

    Example:  socsim game serve games/class1 --host 0.0.0.0
    """
    from ..dashboard.server import is_loopback
    from ..game.game import Game
    from ..game.server import make_server

    with reported_errors():
        game = Game(folder)
        if not is_loopback(host):
            warning(f"--host {host}: the game is open to every machine that can reach this one on the network; "
                    "anyone with a team's link plays as that team. Use it on the room's own network only.")
        try:
            server = make_server(game, host, port)
        except OSError as exc:
            from ..errors import SocsimError

            raise SocsimError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port") from None
    say("game ", (game.spec.name, "bold"), f" at http://{host}:{port}/  (Ctrl+C to stop)")
    _links(game, host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@game_app.command("demo")
def demo(
    out: Path = typer.Option(Path("results/game-demo"), "--out", help="Folder for the demo game and its debrief. Never overwritten."),
    population: Optional[int] = typer.Option(None, "--population", min=10, help="Consumer agents (default: the demo game's 3,000)."),
) -> None:
    """Play a scripted game with no browser: 3 bot teams (premium, discounter, private
    domain), 4 rounds; writes the debrief (zh and en) with a "what if".

    Example:  socsim game demo --out results/demo
    """
    from ..game.bots import play_demo
    from ..game.debrief import standings, write_debrief

    with reported_errors():
        game = play_demo(out, population, progress=lambda text: err.print(text, highlight=False))
        pages = write_debrief(game, out)
    for i, (team, total) in enumerate(standings(game), 1):
        console.print(f"{i}. {team}: ¥{total:,.0f} contribution over {game.played()} rounds", highlight=False)
    for page in pages:
        say("debrief: ", (str(page), "bold"))


@game_app.command("debrief")
def debrief(
    folder: Path = typer.Argument(..., help="Game folder.", show_default=False),
    round_: Optional[int] = typer.Option(None, "--round", min=1, help="What if: the round to replay (default: chosen for you)."),
    team: Optional[str] = typer.Option(None, "--team", help="What if: the team whose decision changes."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="What if: lever=value for that team in that round (repeatable), e.g. marketplace_price=119."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for debrief.zh.html and debrief.en.html (default: the game folder)."),
) -> None:
    """Write the debrief of a game (zh and en), with a "what if" replay on the same seeds.

    Example:  socsim game debrief games/class1 --round 3 --team "Red" \\
                  --set marketplace_price=109
    """
    import yaml

    from ..errors import SocsimError
    from ..game.debrief import WhatIf, write_debrief
    from ..game.game import Game

    with reported_errors():
        game = Game(folder)
        what_if = None
        if round_ is not None or team is not None or set_:
            if round_ is None or team is None or not set_:
                raise SocsimError("a what if needs --round, --team and at least one --set lever=value")
            values = {}
            for text in set_:
                key, sep, value = text.partition("=")
                if not sep:
                    raise SocsimError(f"--set {text!r}: write lever=value")
                values[key.strip()] = yaml.safe_load(value)
            what_if = WhatIf(round_, team, values)
        pages = write_debrief(game, out or folder, what_if)
    for page in pages:
        say("debrief: ", (str(page), "bold"))
