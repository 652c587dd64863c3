"""``socsim dashboard`` and ``socsim tournament``: workshop mode, thin commands over
:mod:`sim.dashboard` and :mod:`sim.tournament`.

Registered on :data:`sim.cli.app` when :mod:`sim.cli` imports this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .cli import BASELINE, SetOpt, _errors, app, console, err

__all__ = ["dashboard"]


@app.command()
def dashboard(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML file (default: the bundled scenarios/baseline.yaml).", show_default=False),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on. Loopback (default) keeps it on this machine; 0.0.0.0 opens it to the room's network."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port of the page."),
    brand: Optional[str] = typer.Option(None, "--brand", help="Brand whose levers the room moves (default: the scenario's first brand)."),
    population: int = typer.Option(5000, "--population", min=10, help="Consumer agents: workshop size keeps each Step snappy (0: the scenario's own)."),
    set_: Optional[List[str]] = SetOpt,
) -> None:
    """Serve a live dashboard for a workshop: levers, Step / Run / Reset, live charts.

    Opens a Mesa SolaraViz page (works offline) with sliders and switches for the
    brand's main levers (prices, parity, paid and influencer budgets, KOC share,
    referral commission, content quality, pushes, Double 11 routing), charts of the
    AIPL funnel, orders and profit by channel, spill-over, group leaders and a sampled
    ego network, and a side-by-side mode (two strategies, same seed). Needs the
    dashboard extra: pip install 'socsim[dashboard]'.

    Examples:  socsim dashboard            socsim dashboard --host 0.0.0.0 --port 8800
    """
    from .dashboard.server import is_loopback, serve
    from .dashboard.workshop import WorkshopSetup

    setup = WorkshopSetup(scenario or BASELINE, brand, population or None, tuple(set_ or ()))
    if not is_loopback(host):
        err.print(f"[yellow]warning[/yellow] --host {host}: the dashboard is open to every machine that can reach this "
                  "one on the network, with no login; anyone there can drive it. Use it on the room's own network only.",
                  highlight=False, soft_wrap=True)

    def started(url: str) -> None:
        shown = url.replace("0.0.0.0", "<this machine's address>") if host == "0.0.0.0" else url
        console.print(f"dashboard of [bold]{setup.scenario.name}[/bold] at [bold]{shown}[/bold]  (Ctrl+C to stop)")

    with _errors():
        try:
            serve(setup, host=host, port=port, started=started)
        except KeyboardInterrupt:
            pass
