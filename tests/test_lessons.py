"""Lessons: every lesson file validates, broken files say where, the claims hold, the CLI
writes handouts, and Chinese renders without missing glyphs.

The claims are checked at each lesson's ``test`` preset (sim/lessons/catalog/*.yaml):
only the variants a claim compares, all lessons in one pool of two workers. A claim
holds when the paired 95 % t-interval of ``variant − reference`` over the preset's
replications (common random numbers: replication r uses seed 42 + r in both) lies
entirely on the claimed side of zero. The tolerance is therefore the sampling error
itself, t₀.₉₇₅,ₙ₋₁ · s_d / √n, estimated from the replications; each preset's
replications were chosen so that the measured mean difference is at least about
1.5 half-widths away from zero (docs/LESSONS.md lists the measured intervals), so a
claim fails only if the model stops producing the effect.
"""

from __future__ import annotations

import base64
import io
import re
import warnings

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import ScenarioError
from sim.experiments import ExecutionPlan, load_experiment
from sim.lessons.catalog import TEACHING_ORDER, experiment_path, load_catalog, load_lesson
from sim.lessons.runner import lesson_design, preset_overrides, run_claims

CATALOG = load_catalog()
NAMES = [lesson.name for lesson in CATALOG]


def test_catalogue_has_at_least_eight_lessons_in_teaching_order():
    assert len(CATALOG) >= 8
    assert NAMES == [n for n in TEACHING_ORDER if n in NAMES]


@pytest.mark.parametrize("lesson", CATALOG, ids=NAMES)
def test_every_lesson_file_validates(lesson):
    """The experiment builds at both presets, and every 'parameter to try next' is a valid --set."""
    for preset in ("workshop", "test"):
        design = lesson_design(lesson, preset)
        assert [v.name for v in design.variants] == list(lesson.variants)
    for item in lesson.try_next:
        load_experiment(experiment_path(lesson), overrides=[*preset_overrides(lesson.workshop), item.set])
    for lang in ("zh", "en"):
        assert len(lesson.text(lang).discussion) == 3
    assert re.search(r"[\u4e00-\u9fff]", lesson.zh.title)


def _broken(tmp_path, old: str, new: str) -> tuple[str, int]:
    """The price_parity lesson written out with one mistake; (error text, line of the mistake)."""
    import yaml

    text = yaml.safe_dump(load_lesson("price_parity").model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    text = text.replace(old, new, 1)
    path = tmp_path / "price_parity.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_lesson(path)
    return str(info.value), next(i for i, line in enumerate(text.splitlines(), 1) if new in line)


def test_broken_lesson_file_reports_file_and_line(tmp_path):
    """Schema mistakes (pydantic, via the project's loader) and mistakes against the experiment file."""
    rendered, line = _broken(tmp_path, "teaser:", "teasr:")
    assert f"price_parity.yaml:{line}: zh.teasr: unknown key 'teasr'; did you mean 'teaser'?" in rendered
    rendered, line = _broken(tmp_path, "variant: strict", "variant: strikt")
    assert f"price_parity.yaml:{line}: claims.0.variant: 'strikt' is not a variant" in rendered
    assert "did you mean 'strict'" in rendered


@pytest.fixture(scope="module")
def claims():
    return run_claims(CATALOG, "test", ExecutionPlan(workers=2))


@pytest.mark.parametrize("name", NAMES)
def test_lesson_claim_holds(claims, name):
    """The lesson teaches what it says: each claimed direction, paired 95 % interval excluding zero."""
    for check in claims[name]:
        d = check.diff.diff
        assert d.n == load_lesson(name).test.replications
        assert check.holds, (f"{name}: {check.claim.metric} of {check.claim.variant} not {check.claim.direction} than "
                             f"{check.reference}: Δ = {d.mean:.4g}, 95 % CI [{d.low:.4g}, {d.high:.4g}]")


def test_socsim_lessons_lists_all(monkeypatch):
    from sim import terminal as cli

    monkeypatch.setattr(cli.console, "width", 600)  # wide: one line a lesson
    for lang in ("zh", "en"):
        result = CliRunner().invoke(app, ["lessons", "--lang", lang])
        assert result.exit_code == 0, result.output
        for lesson in CATALOG:
            row = next(line for line in result.output.splitlines() if f" {lesson.name} " in line)
            assert lesson.text(lang).title in row and lesson.text(lang).teaser in row
        assert ("HTML 讲义" if lang == "zh" else "HTML handout") in result.output.splitlines()[-1]  # the hint in its language


def test_socsim_lesson_writes_chinese_handout_then_reuses_runs(tmp_path):
    """Chinese title, embedded plots and font; the English handout reuses the stored runs."""
    lesson = load_lesson("double11_routing")  # the cheapest lesson: 35 days
    runner = CliRunner()
    zh = runner.invoke(app, ["lesson", lesson.name, "--lang", "zh", "--reps", "2", "--out", str(tmp_path)])
    assert zh.exit_code == 0, zh.output
    assert "结论：" in zh.output and "讲义：" in zh.output and "Verdict" not in zh.output  # the console speaks Chinese too
    assert not re.search(r"\de[+-]\d", zh.output)                                   # human numbers, no 1.767e+05
    page = (tmp_path / "handout.zh.html").read_text(encoding="utf-8")
    assert lesson.zh.title in page and lesson.zh.discussion[0] in page
    assert page.count("data:image/png;base64,") == 3
    assert "@font-face" in page and "lang='zh-CN'" in page
    en = runner.invoke(app, ["lesson", lesson.name, "--lang", "en", "--reps", "2", "--out", str(tmp_path)])
    assert en.exit_code == 0, en.output
    assert "resumed" in en.output and "Verdict: " in en.output and "handout: " in en.output
    assert lesson.en.title in (tmp_path / "handout.en.html").read_text(encoding="utf-8")
    again = runner.invoke(app, ["lesson", lesson.name, "--lang", "zh", "--reps", "2", "--out", str(tmp_path)])
    assert again.exit_code == 0 and "继续：" in again.output and "次运行" in again.output
    for output in (zh.output, again.output):  # the run header too: no English phrase (two words in a row)
        assert not re.search(r"[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}", output.replace(str(tmp_path), "")), output


def test_unknown_lesson_is_one_line_error():
    result = CliRunner().invoke(app, ["lesson", "price_parityy"])
    assert result.exit_code == 1
    assert "no lesson 'price_parityy'" in result.output and "price_parity" in result.output


def test_chinese_plot_label_renders_without_glyph_warnings():
    import matplotlib.pyplot as plt

    from sim.fonts import cjk_plots

    def draw() -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig, ax = plt.subplots()
            ax.set_title("活跃团长（期末）· 本品牌", fontweight="bold")
            ax.set_xlabel("与“不保护”之差 −5 ¥")
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)
        return [str(w.message) for w in caught if "missing from font" in str(w.message)]

    assert draw(), "matplotlib's default font should miss Chinese glyphs (the check would prove nothing)"
    with cjk_plots():
        assert draw() == []


def test_handout_font_subset_has_the_page_glyphs():
    from fontTools.ttLib import TTFont

    from sim.fonts import font_face_css

    css = font_face_css("价格体系与渠道冲突 abc")
    data = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", css).group(1))
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    assert all(ord(c) in cmap for c in "价格体系与渠道冲突")
    assert font_face_css("plain ASCII") == ""


def test_lesson_name_wins_over_a_folder_of_that_name(tmp_path, monkeypatch):
    """`socsim lesson referral` run where a handout folder `referral/` exists still finds the lesson."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "referral").mkdir()
    assert load_lesson("referral").name == "referral"


def test_price_parity_leaders_held_fixed_follow_strict_parity_seed_for_seed():
    """The split of the WeChat-order gap is exact only if the leaders-fixed variant has
    strict parity's leaders: same recruits, no one quitting, replication by replication."""
    from sim.simulation import run

    design = load_experiment(experiment_path(load_lesson("price_parity")), replications=2,
                             overrides=["world.population=2000", "world.graph.degree=20", "simulation.days=120"])
    for seed in (design.seed_of(0), design.seed_of(1)):
        leaders = {v: run(design.cell(v, 0).scenario, seed=seed).kpis["focal"]
                   for v in ("strict", "none_leaders_stay", "none")}
        for kpi in ("active_leaders", "leaders_recruited"):
            assert leaders["none_leaders_stay"][kpi] == leaders["strict"][kpi]
        assert leaders["none"]["active_leaders"] < leaders["strict"]["active_leaders"]  # without the switch, they quit
