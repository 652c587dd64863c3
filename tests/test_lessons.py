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


@pytest.mark.parametrize("lang, said", [
    ("en", "error no lesson 'pricing'; did you mean 'price_parity'?; lessons: "),
    ("zh", "错误 没有名为 'pricing' 的课程；您是不是要找 'price_parity'？现有课程："),
])
def test_unknown_lesson_is_one_line_error_with_did_you_mean_in_its_language(lang, said):
    result = CliRunner().invoke(app, ["lesson", "pricing", "--lang", lang])
    assert result.exit_code == 1 and result.output.startswith(said) and len(result.output.splitlines()) == 1
    assert "double11_routing" in result.output
    nothing_close = CliRunner().invoke(app, ["lesson", "zzzz", "--lang", lang])
    assert nothing_close.exit_code == 1 and "price_parity" in nothing_close.output
    assert ("did you mean" in nothing_close.output or "是不是" in nothing_close.output) is False


#: Problems a trainer can meet with `socsim lesson`: (arguments, English line, Chinese line).
_PROBLEMS = {
    "reps": (["--reps", "1"], "error --reps 1: choose at least 2 replications per variant",
             "错误 --reps 1：每个方案至少需要 2 次重复"),
    "file in the way": (["--out", "{file}"], "cannot write the results: a file of that name is in the way of a folder",
                        "无法写入结果：有同名文件挡在文件夹的位置"),
    "store busy": (["--out", "{busy}"], "another socsim process is running this experiment",
                   "另一个 socsim 进程正在运行这个实验"),
    "not a store": (["--out", "{junk}"], "exists and is not an experiment's results folder",
                    "已存在，但不是实验结果文件夹"),
}


@pytest.mark.parametrize("problem", _PROBLEMS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lesson_problems_are_one_line_in_the_lessons_language(tmp_path, lang, problem):
    import fcntl

    from sim.lessons.runner import store_folder

    args, english, chinese = _PROBLEMS[problem]
    (tmp_path / "file").write_text("x")
    design = lesson_design(load_lesson("double11_routing"), "workshop", 2)
    store, junk = store_folder(tmp_path / "busy", design), store_folder(tmp_path / "junk", design)
    for folder, name in ((store, "experiment.json"), (junk, "notes.txt")):
        folder.mkdir(parents=True)
        (folder / name).write_text("{}")
    with (store / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another socsim process running it would
        args = [a.format(file=tmp_path / "file", busy=tmp_path / "busy", junk=tmp_path / "junk") for a in args]
        result = CliRunner().invoke(app, ["lesson", "double11_routing", "--lang", lang, "--reps", "2", *args])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith(("error ", "错误 "))]
    assert len(errors) == 1 and (english if lang == "en" else chinese) in errors[0], result.output
    if lang == "zh":  # no English phrase (two words in a row) beside paths and option names
        assert not re.search(r"[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}", result.output.replace(str(tmp_path), "")), result.output


@pytest.mark.parametrize("lang, said", [("en", "error interrupted (Ctrl-C)"), ("zh", "错误 已中断（Ctrl-C）")])
def test_ctrl_c_outside_the_runs_is_said_in_the_lessons_language(tmp_path, monkeypatch, lang, said):
    import sim.lessons.catalog

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.lessons.catalog, "load_lesson", interrupted)
    result = CliRunner().invoke(app, ["lesson", "double11_routing", "--lang", lang, "--out", str(tmp_path)])
    assert result.exit_code == 130 and result.output.strip() == said


@pytest.mark.parametrize("lang, said", [("en", "interrupted: finished runs are stored in "),
                                        ("zh", "已中断：完成的运行保存在 ")])
def test_ctrl_c_during_the_runs_says_how_to_resume_in_the_lessons_language(tmp_path, monkeypatch, lang, said):
    import sim.experiments

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiments, "run_experiment", interrupted)
    result = CliRunner().invoke(app, ["lesson", "double11_routing", "--lang", lang, "--reps", "2", "--out", str(tmp_path)])
    assert result.exit_code == 130 and said in result.output.replace("\n", "")


def test_every_error_a_command_can_say_in_chinese_has_its_words():
    """Each ``key=`` an error is raised with in sim/ has a Chinese entry whose fields the error gives."""
    import ast
    import string
    from pathlib import Path

    from sim.cli.common import RUN_WORDS

    raised: dict[str, set[str]] = {}
    for path in (Path(__file__).resolve().parent.parent / "sim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = node.exc if isinstance(node, ast.Raise) else None
            given = {k.arg: k.value for k in call.keywords} if isinstance(call, ast.Call) else {}
            if "key" in given:
                keys = [c.value for c in ast.walk(given["key"]) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
                for key in keys:
                    raised[key] = set(given) - {"key"}
    assert {"no_lesson", "no_lesson_near", "store_busy", "store_changed", "not_a_store", "write_failed"} <= set(raised)
    for key, fields in raised.items():
        assert key in RUN_WORDS["zh"], key
        needed = {name for _, name, _, _ in string.Formatter().parse(RUN_WORDS["zh"][key]) if name}
        assert needed <= fields, (key, needed - fields)
