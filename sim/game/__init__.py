"""A live classroom game: teams run brands in one market over rounds (``socsim game``).

* :mod:`.spec` — the game file (market, rounds, teams, levers with ranges, budget);
* :mod:`.engine` — one market, rounds of days, decisions as schedule entries, replay;
* :mod:`.store` — the game in SQLite: decisions, rounds, results, tokens;
* :mod:`.game` — a game in play: team and instructor actions, the live market (a cache);
* :mod:`.bots` — scripted teams for the demo;
* :mod:`.debrief` — the debrief page (zh/en) with a "what if" replay;
* :mod:`.server` — instructor console and team pages over HTTP (standard library);
* :mod:`.pages` — words (zh/en) and HTML pieces the pages and the debrief share.
"""
