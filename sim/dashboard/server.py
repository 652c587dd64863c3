"""Serve the dashboard page on this machine, with no internet.

Solara's own ``solara run`` checks PyPI for a newer version and sends telemetry; here
the server is started directly (uvicorn with Solara's Starlette app), telemetry off,
and the page's front-end comes from disk:

* ``solara-assets`` holds what Solara would otherwise fetch from a CDN (Vuetify,
  RequireJS, fonts) — without it the page stays blank offline;
* ipyvue and ipyvuetify below 2 (3.x leaves the main area blank, mesa#3806);
* charts are matplotlib PNGs (Altair would fetch vega from a CDN).

:func:`check_offline` tells which of these is missing, with the command that fixes it.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import socket
import sys
import warnings
from importlib import metadata
from pathlib import Path
from typing import Callable

from ..errors import SocsimError
from .text import LANGS, check_lang
from .workshop import WorkshopSetup

__all__ = ["serve", "check_offline", "is_loopback", "page_urls", "DashboardError", "setup_to_env", "setup_from_env",
           "lang_from_env", "APP", "DEFAULT_PORT", "SETUP_ENV", "LANG_ENV"]

#: The Solara app: module and component.
APP = "sim.dashboard.app:Page"
DEFAULT_PORT = 8765
#: Environment variable carrying the :class:`WorkshopSetup` to the app, as JSON.
SETUP_ENV = "SOCSIM_DASHBOARD_SETUP"
#: Environment variable carrying the page's starting language ("en" or "zh").
LANG_ENV = "SOCSIM_DASHBOARD_LANG"
_INSTALL = "pip install 'socsim[dashboard]'"


def setup_to_env(setup: WorkshopSetup) -> str:
    """The setup as the JSON text :func:`setup_from_env` reads."""
    return json.dumps({"scenario": str(setup.scenario), "brand": setup.brand, "population": setup.population,
                       "overrides": list(setup.overrides)})


def setup_from_env() -> WorkshopSetup:
    """The setup passed by ``socsim dashboard`` (the bundled baseline at workshop size if none)."""
    text = os.environ.get(SETUP_ENV)
    if not text:
        return WorkshopSetup()
    data = json.loads(text)
    return WorkshopSetup(Path(data["scenario"]), data.get("brand"), data.get("population"),
                         tuple(data.get("overrides", ())))


def lang_from_env() -> str:
    """The page's starting language passed by ``socsim dashboard --lang`` (English if none)."""
    lang = os.environ.get(LANG_ENV, "en")
    return lang if lang in LANGS else "en"


class DashboardError(SocsimError):
    """The dashboard cannot start: a package is missing or the port is taken."""


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check_offline() -> None:
    """Raise DashboardError unless the dashboard's packages are installed to work offline."""
    missing = [name for name in ("solara", "solara-assets", "ipyvue", "ipyvuetify", "altair") if _version(name) is None]
    if missing:
        raise DashboardError(f"the dashboard needs {', '.join(missing)}; install them with: {_INSTALL}")
    for name in ("ipyvue", "ipyvuetify"):
        if int(_version(name).split(".")[0]) >= 2:
            raise DashboardError(f"{name} {_version(name)} leaves the page blank (mesa#3806); "
                                 f"install a version below 2: pip install '{name}<2' (or {_INSTALL})")
    cdn = Path(sys.prefix) / "share" / "solara" / "cdn"
    if not cdn.is_dir():
        raise DashboardError(f"solara-assets is installed but {cdn} is missing, so the page would fetch its front-end "
                             f"from a CDN; reinstall it in this environment: pip install --force-reinstall solara-assets")
    wanted = _front_end()
    if wanted and not (cdn / "@widgetti" / wanted).is_dir():
        raise DashboardError(f"solara {_version('solara')} loads {wanted}, which solara-assets {_version('solara-assets')} "
                             f"does not carry, so the page would fetch it from a CDN; install a solara whose front-end "
                             f"it has (e.g. pip install 'solara=={_version('solara-assets')}')")


def _front_end() -> str | None:
    """The ``solara-vuetify-app@X`` folder Solara's page template loads, if it can be read."""
    import re

    spec = importlib.util.find_spec("solara")
    if spec is None or not spec.submodule_search_locations:
        return None
    template = Path(spec.submodule_search_locations[0]) / "server" / "templates" / "solara.html.j2"
    found = re.search(r"@widgetti/(solara-vuetify-app@[\d.]+)/", template.read_text(encoding="utf-8")) \
        if template.is_file() else None
    return found.group(1) if found else None


def is_loopback(host: str) -> bool:
    """True if ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def page_urls(host: str, port: int) -> list[str]:
    """The addresses the room types to reach the page.

    For a wildcard ``host`` (0.0.0.0, ::) these are this machine's own IPv4 addresses
    (the interface of the default route first, then those of its host name), not the
    wildcard, which no browser can open; else the one address of ``host``.
    """
    if host not in ("0.0.0.0", "::", ""):
        return [f"http://{'[' + host + ']' if ':' in host else host}:{port}"]
    found = [*_route_address(), *_host_addresses()]
    own = [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback] or ["127.0.0.1"]
    return [f"http://{a}:{port}" for a in own]


def _route_address() -> list[str]:
    """The address of the interface with the default route (a UDP connect sends no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: any routable address will do
            return [probe.getsockname()[0]]
        except OSError:
            return []


def _host_addresses() -> list[str]:
    try:
        return [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        return []


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise DashboardError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port") from None


def serve(setup: WorkshopSetup, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          started: Callable[[list[str]], None] | None = None, lang: str = "en") -> None:
    """Serve the dashboard until interrupted (Ctrl+C).

    Parameters
    ----------
    setup : WorkshopSetup
        Scenario, brand and size (checked before the server starts).
    host : str, default "127.0.0.1"
        Interface to listen on; loopback keeps the dashboard on this machine.
    port : int, default 8765
    started : callable, optional
        Called with the page's addresses (:func:`page_urls`) once the server listens.
    lang : {"en", "zh"}, default "en"
        The page's starting language (the page has a switch).

    Raises
    ------
    DashboardError
        Packages missing for offline use, or the port is taken.
    ScenarioError
        The scenario or an override is wrong.
    """
    from .workshop import WorkshopState

    check_offline()
    check_lang(lang)
    WorkshopState.from_setup(setup)  # fail here, with file and line, not in the browser
    _check_port(host, port)
    os.environ.update({
        SETUP_ENV: setup_to_env(setup), LANG_ENV: lang, "SOLARA_APP": APP, "SERVER_NAME": host, "SERVER_PORT": str(port),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false", "SOLARA_THEME_SHOW_BANNER": "false",
        "SOLARA_THEME_TITLE": "socsim workshop", "SOLARA_CHECK_HOOKS": "off",
    })
    import uvicorn

    # Solara warns on every page load over plain http from another machine that it falls back
    # to samesite=lax cookies (13 lines): expected on a room's network, and nothing the trainer can act on.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    server = uvicorn.Server(uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning"))
    if started is not None:
        _announce_when_up(server, page_urls(host, port), started)
    server.run()


def _announce_when_up(server, urls: list[str], started: Callable[[list[str]], None]) -> None:
    import threading
    import time

    def wait() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            started(urls)

    threading.Thread(target=wait, daemon=True).start()
