"""Self-contained references: the product cites only what the repository holds.

Every text the product ships or shows (the package with its data and lesson catalogs, the
docs, the README, the scenarios, experiments and benchmarks) must not cite the team's
internal notes (their design sections, their numbered seed articles, their folder) or its
issue tracker: a user has neither. Figures are cited by the labels of docs/SOURCES.md,
behaviours by the anchors of docs/BEHAVIOURS.md. And every file the README and the docs
link to or name, and every anchor they link to, must exist.
"""

from __future__ import annotations

import re
from pathlib import Path

from _support import ROOT

#: What the product ships or shows (tests/ is the suite itself).
SHIPPED = ("sim", "docs", "README.md", "scenarios", "experiments", "benchmarks")

#: Citations of the internal notes, each with what to write instead.
INTERNAL = {
    r"\bDESIGN\b": "a docs/MODEL.md section, a docs/BEHAVIOURS.md anchor or docs/SOURCES.md",
    r"(?i)\bseeds? ?(?:article|paper|text)s?\b|\bseeds? 0\d\d\b|\bseeds? NNN\b": "the article's label in docs/SOURCES.md, e.g. [A4]",
    r"种子文章": "the article's label or title (docs/SOURCES.md)",
    r"\bissues? #?\d+": "what the issue asked for, in the text's own words (the tracker is not shipped)",
    r"shared/seeds|\.\./shared\b|/work/shared|\bshared/(?:DESIGN|STYLE|TRAPS)": "docs/SOURCES.md",
}

#: Paths the docs name, e.g. `sim/bass.py` or docs/MODEL.md (a path ends in a file suffix).
NAMED_PATH = re.compile(
    r"(?<![\w/.-])((?:docs|sim|scenarios|experiments|benchmarks|tests|\.ci)/[\w./-]*\w\.(?:md|py|yaml|yml|csv|toml|json|txt))\b")
#: Names that stand for the user's own file in an example (`scenarios/x.yaml`, `my_team.yaml`).
PLACEHOLDER = re.compile(r"(?:^|/)(?:x|my\w*|your\w*)\.\w+$")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)
LABEL = re.compile(r"\[A\d\]")


def shipped_texts() -> list[Path]:
    """Every UTF-8 text file under the shipped paths (compiled caches and binaries skipped)."""
    files = []
    for name in SHIPPED:
        top = ROOT / name
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and _is_text(path):
                files.append(path)
    return files


def _is_text(path: Path) -> bool:
    try:
        return "\0" not in path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return False


def _where(path: Path, text: str, offset: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, offset) + 1}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def anchors(doc: Path) -> set[str]:
    text = doc.read_text(encoding="utf-8")
    return set(ANCHOR.findall(text)) | {_slug(h) for h in HEADING.findall(text)}


def docs_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_scan_covers_what_the_product_ships():
    found = {p.relative_to(ROOT).as_posix() for p in shipped_texts()}
    for must in ("README.md", "docs/SOURCES.md", "docs/BEHAVIOURS.md", "sim/config/schema.py",
                 "sim/lessons/catalog/price_parity.yaml", "scenarios/baseline.yaml", "benchmarks/RESULTS.md"):
        assert must in found


def test_no_text_cites_the_internal_notes():
    hits = []
    for path in shipped_texts():
        text = path.read_text(encoding="utf-8")
        for pattern, instead in INTERNAL.items():
            hits += [f"{_where(path, text, m.start())}: {m.group(0)!r} (cite {instead})"
                     for m in re.finditer(pattern, text)]
    assert not hits, "internal citations:\n" + "\n".join(hits)


def test_every_article_label_is_a_reference_in_sources_md():
    defined = set(re.findall(r"^\| (\[A\d\]) \|", (ROOT / "docs" / "SOURCES.md").read_text(encoding="utf-8"), re.M))
    assert defined, "docs/SOURCES.md lists no article labels"
    missing = []
    for path in shipped_texts():
        text = path.read_text(encoding="utf-8")
        missing += [f"{_where(path, text, m.start())}: {m.group(0)}" for m in LABEL.finditer(text) if m.group(0) not in defined]
    assert not missing, "labels not in docs/SOURCES.md:\n" + "\n".join(missing)


def test_every_linked_file_and_anchor_exists():
    broken = []
    for page in docs_pages():
        text = page.read_text(encoding="utf-8")
        for m in MD_LINK.finditer(text):
            target, _, anchor = m.group(1).partition("#")
            if re.match(r"[a-z]+:", target):
                continue   # a web address
            doc = (page.parent / target).resolve() if target else page
            if not doc.exists():
                broken.append(f"{_where(page, text, m.start())}: no file {m.group(1)}")
            elif anchor and doc.suffix == ".md" and anchor not in anchors(doc):
                broken.append(f"{_where(page, text, m.start())}: no anchor #{anchor} in {doc.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)


def test_every_named_file_exists():
    pages = [*docs_pages(), *sorted((ROOT / "sim" / "lessons" / "catalog").glob("*.yaml"))]
    missing = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        missing += [f"{_where(page, text, m.start())}: {m.group(1)}" for m in NAMED_PATH.finditer(text)
                    if not (ROOT / m.group(1)).exists() and not PLACEHOLDER.search(m.group(1))]
    assert not missing, "named files not in the repository:\n" + "\n".join(missing)
