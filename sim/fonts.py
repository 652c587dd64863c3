"""Chinese text in plots and handouts: one place that finds a CJK font and registers it.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs: a Chinese label comes out
as boxes, with a warning "Glyph … missing from font(s) DejaVu Sans". socsim depends on
the PyPI package ``mplfonts``, which ships Noto Sans CJK SC, so a fresh install after the
README's set-up command has a CJK font whatever the operating system offers. The Debian
package ``fonts-noto-cjk`` (or any font with "CJK SC" in its name that matplotlib finds)
is the fallback.

* :func:`cjk_plots` — a context in which matplotlib draws Latin text with DejaVu Sans
  and falls back glyph by glyph to the CJK font (matplotlib ≥ 3.6 font fallback);
* :func:`font_face_css` — a CSS ``@font-face`` rule carrying a subset of the same font
  (only the characters a page uses, WOFF, base64), so an HTML handout reads in Chinese
  in a browser on a machine without any CJK font.
"""

from __future__ import annotations

import base64
import io
import logging
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator

import matplotlib
from matplotlib import font_manager

from .errors import SocsimError

__all__ = ["FontMissingError", "cjk_font_path", "cjk_family", "cjk_rc", "cjk_plots", "font_face_css", "WEB_FAMILY"]

#: Font files of the ``mplfonts`` package, in order of preference.
_PACKAGED = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf")
#: Family names found among the system fonts matplotlib knows, in order of preference.
_SYSTEM = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei")
#: Family name of the embedded web font in handouts.
WEB_FAMILY = "socsim-cjk"


class FontMissingError(SocsimError):
    """No font with Chinese glyphs was found."""


def _packaged() -> Path | None:
    try:
        folder = resources.files("mplfonts") / "fonts"
    except ModuleNotFoundError:
        return None
    for name in _PACKAGED:
        path = Path(str(folder / name))
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The file of the CJK font socsim uses.

    Returns
    -------
    Path
        ``mplfonts``' Noto Sans CJK SC if installed, else a system font of :data:`_SYSTEM`.

    Raises
    ------
    FontMissingError
        If neither is found, with the command that installs one.
    """
    path = _packaged()
    if path is not None:
        return path
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in _SYSTEM:
        if family in by_name:
            return Path(by_name[family])
    raise FontMissingError("no font with Chinese glyphs found; install one with: pip install mplfonts "
                           "(or on Debian/Ubuntu: apt-get install fonts-noto-cjk)")


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Register :func:`cjk_font_path` with matplotlib's font manager; return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def cjk_rc() -> dict[str, object]:
    """rcParams for mixed Latin/Chinese text: DejaVu Sans first, the CJK font as fallback.

    The families are listed in ``font.family`` itself: matplotlib falls back glyph by
    glyph only across that list (a generic ``sans-serif`` resolves to one font).
    """
    return {"font.family": ["DejaVu Sans", cjk_family()]}


@contextmanager
def cjk_plots() -> Iterator[None]:
    """Draw figures made inside this context with Chinese glyphs available.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with cjk_plots():                      # doctest: +SKIP
    ...     fig, ax = plt.subplots(); ax.set_title("营收 (¥)"); fig.savefig("x.png")
    """
    log = logging.getLogger("matplotlib.font_manager")
    level = log.level
    log.setLevel(logging.ERROR)  # "Failed to find font weight bold": the CJK font has one weight, bold is synthesised
    try:
        with matplotlib.rc_context(cjk_rc()):
            yield
    finally:
        log.setLevel(level)


#: Code-point ranges the embedded font serves: CJK punctuation, kana, ideographs, full-width forms.
_CJK_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x2FA1F))


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def font_face_css(text: str, family: str = WEB_FAMILY) -> str:
    """A CSS ``@font-face`` rule embedding the CJK font's glyphs for the characters of ``text``.

    Parameters
    ----------
    text : str
        Everything the page may show; only its Chinese characters and CJK punctuation
        are kept (Latin text, ¥ and § stay with the reader's own fonts).
    family : str, default :data:`WEB_FAMILY`

    Returns
    -------
    str
        ``@font-face{…src:url(data:font/woff;base64,…)}``, or ``""`` when ``text`` has no
        Chinese character.

    Notes
    -----
    A subset with a few hundred Chinese characters is 100–300 kB, against 16 MB for
    the whole font. fontTools comes with matplotlib.
    """
    from fontTools import subset

    chars = "".join(sorted({c for c in text if _is_cjk(c)}))
    if not chars:
        return ""
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(cjk_font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"@font-face{{font-family:'{family}';font-style:normal;font-weight:400 700;font-display:block;"
            f"src:url(data:font/woff;base64,{data}) format('woff')}}")
