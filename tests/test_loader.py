"""Loading scenario files: every mistake is a ScenarioError naming file, line, path, fix."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.config.loader import apply_brand_changes, load_model, load_scenario, load_scenario_text
from sim.config.reference import schema_markdown
from sim.config.schema import Scenario
from sim.errors import Problem, ScenarioError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
BAD = Path(__file__).resolve().parent / "data" / "bad"

MINIMAL = """\
name: minimal
brands:
  - name: focal
    product: {price: 129, unit_cost: 35}
    channels: {tmall: {}}
"""

# file → (dotted path shown, line, fragment of what is allowed); path "" = the whole file
EXPECTED = {
    "wrong_type.yaml": ("world.population", 4, "must be a whole number"),
    "negative_price.yaml": ("brands.0 (focal).product.price", 5, "got -5; must be > 0"),
    "probability_range.yaml": ("world.graph.rewire", 5, "got 1.5; must be ≥ 0 and ≤ 1"),
    "shares_sum.yaml": ("world.segments", 3, "they must sum to 1"),
    "unknown_key.yaml": ("world.graph.degre", 5, "unknown key 'degre'; did you mean 'degree'?"),
    "empty.yaml": ("", 1, "the file is empty"),
    "syntax_error.yaml": ("", 5, "invalid YAML at column 13"),
    "python_tag.yaml": ("", 2, "tag !!python/object/apply:os.system is not allowed"),
    "missing_required.yaml": ("brands.0 (focal).product.unit_cost", 4, "required field missing"),
    "unknown_channel.yaml": ("brands.0 (focal).channels.jd", 7, "unknown channel 'jd'; defined channels: tmall, wechat"),
    "duplicate_brand.yaml": ("brands.1 (focal).name", 6, "names must be unique"),
    "bad_date.yaml": ("simulation.start_date", 4, "must be a date written YYYY-MM-DD"),
    "bad_enum.yaml": ("brands.0 (focal).strategy.parity", 7, "got 'sometimes'; allowed: none | strict | floor"),
    "bad_schedule_path.yaml": ("brands.0 (focal).strategy.schedule.0.set.channels.jd.price", 11, "channels has no key 'jd'; keys there: tmall"),
    "bad_schedule_value.yaml": ("brands.0 (focal).strategy.schedule.1.set.strategy.parity", 9, "allowed: none | strict | floor"),
    "edge_list_no_path.yaml": ("world.graph", 3, "needs 'path'"),
    "edge_list_missing_file.yaml": ("world.graph.path", 5, "edge-list file not found"),
    "list_for_mapping.yaml": ("world.graph", 4, "got a list of 2; must be a mapping"),
    "top_level_list.yaml": ("", 2, "the top level must be a mapping"),
    "unknown_segment.yaml": ("world.segments.teen_fans", 5, "did you mean 'teen_idol_fans'?"),
    "duplicate_key.yaml": ("brands.0 (focal).product.price", 7, "appears twice (first at line 5)"),
    "bad_bool.yaml": ("outputs.plots", 7, "got 'maybe'; must be true or false"),
    "event_date.yaml": ("channels.tmall.events.0 (618).date", 5, 'must be MM-DD in quotes, e.g. "06-18"'),
    "tab_indent.yaml": ("", 4, "indent with spaces, not tabs"),
    "not_utf8.yaml": ("", 1, "not UTF-8 text"),
    "media_transacts.yaml": ("channels.douyin", 4, "cannot transact; set transacts: false"),
    "no_brands.yaml": ("brands", 3, "got an empty list; must have at least 1 item"),
    "bad_target_segment.yaml": ("brands.0 (focal).strategy.paid_media.0.target.1", 8, "did you mean 'bargain_hunters'?"),
    "many_problems.yaml": ("brands.0 (focal).product.qualty", 9, "did you mean 'quality'?"),
    # cross-field: counts the population cannot hold (checked at load time, not mid-run)
    "too_many_kocs.yaml": ("brands.0 (focal).strategy.kols.1.count", 11,
                           "got 200; must be ≤ 99: each KOL/KOC is placed at one consumer"),
    "too_many_leaders.yaml": ("brands.0 (focal).strategy.group_leaders.initial", 10, "got 150; must be ≤ 100"),
    "schedule_too_many_kocs.yaml": ("brands.0 (focal).strategy.schedule.0.set", 13,
                                    "after this change, strategy.kols.0.count: got 500; must be ≤ 100"),
    "too_many_communities.yaml": ("world.graph.communities", 6, "got 60; must be ≤ 50 (half of world.population 100)"),
    "complete_too_large.yaml": ("world.population", 3, "got 50000; a complete graph (world.graph.kind: complete) "
                                "allows at most 20000"),
    # reference prices: a smoothing weight is a share; losses never weigh less than gains
    "negative_smoothing.yaml": ("world.behaviour.reference_smoothing", 5, "got -0.2; must be ≥ 0 and ≤ 1"),
    "loss_aversion_below_one.yaml": ("world.behaviour.loss_aversion", 4, "got 0.5; must be ≥ 1 and ≤ 10"),
    "negative_deal_wait.yaml": ("world.behaviour.deal_wait_share", 5, "got -0.5; must be ≥ 0 and ≤ 1"),
    # referral trees: three commission levels at most; sharers' downline expectation is a count ≥ 0
    "referral_level4.yaml": ("brands.0 (focal).strategy.referral", 7, "got level4; at most three commission levels"),
    "referral_level3_range.yaml": ("brands.0 (focal).strategy.referral.level3", 7, "got 0.8; must be ≥ 0 and ≤ 0.5"),
    "negative_downline.yaml": ("world.behaviour.downline_expectation", 4, "got -1; must be ≥ 0 and ≤ 10"),
    # word of mouth and detractors: probabilities, a non-negative ratio, whole days
    "late_delivery_above_one.yaml": ("world.behaviour.late_delivery_prob", 4, "got 1.5; must be ≥ 0 and ≤ 1"),
    "negative_wom_ratio.yaml": ("world.behaviour.negative_wom_ratio", 5, "got -2; must be ≥ 0 and ≤ 20"),
    "price_regret_days_fraction.yaml": ("world.behaviour.price_regret_days", 5, "must be a whole number"),
    # non-buyer capture: rates are probabilities, the cost per captured follower is ¥ ≥ 0
    "capture_rate_above_one.yaml": ("brands.0 (focal).strategy.private_domain.capture.content_rate", 8,
                                    "got 1.5; must be ≥ 0 and ≤ 1"),
    "capture_negative_cost.yaml": ("brands.0 (focal).strategy.private_domain.capture.cost_per_contact_yuan", 10,
                                   "got -3; must be ≥ 0 and ≤ 10000"),
    # two-step flow: a relay probability, a share of consumers that leaves someone to lead
    "two_step_relay_prob.yaml": ("world.behaviour.two_step.relay_prob", 6, "got 1.5; must be ≥ 0 and ≤ 1"),
    "two_step_leader_share_zero.yaml": ("world.behaviour.two_step.leader_share", 7, "got 0; must be > 0 and ≤ 1"),
}


# --------------------------------------------------------------------------- bad files
def test_every_bad_file_has_an_expectation():
    files = {p.name for p in BAD.glob("*.yaml")}
    assert files == set(EXPECTED)
    assert len(files) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file(name):
    path, line, fragment = EXPECTED[name]
    with pytest.raises(ScenarioError) as info:
        load_scenario(BAD / name)
    text = str(info.value)
    field = f" {path}:" if path else ""
    assert f"{BAD / name}:{line}:{field} " in text, text
    assert fragment in text, text
    assert all(isinstance(p, Problem) for p in info.value.problems)


def test_partner_counts_up_to_the_population_load_and_overrides_are_blamed():
    kocs = MINIMAL + "    strategy:\n      kols: [{tier: koc, count: 100, platform: tmall}]\n"
    assert load_scenario_text(kocs + "world: {population: 100}\n").brands[0].strategy.kols[0].count == 100
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(kocs, overrides=["world.population=99"])
    assert "kols.0.count: got 100; must be ≤ 99" in str(info.value)
    with pytest.raises(ScenarioError, match=r"initial: got 101; must be ≤ 100: .*\(from --set "):
        load_scenario_text(MINIMAL + "world: {population: 100}\n",
                           overrides=["brands.focal.strategy.group_leaders.initial=101"])


def test_python_tag_is_not_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError):
        load_scenario(BAD / "python_tag.yaml")
    assert not (tmp_path / "socsim_pwned.txt").exists()


def test_all_problems_reported_sorted_by_line():
    with pytest.raises(ScenarioError) as info:
        load_scenario(BAD / "many_problems.yaml")
    problems = info.value.problems
    assert [p.line for p in problems] == [3, 5, 6, 9, 9]
    assert [p.path for p in problems][:3] == ["simulation.days", "world.population", "world.graph.rewire"]
    assert "got -1; must be ≥ 0 and ≤ 1 000 000" in problems[4].message


def test_render_format():
    with pytest.raises(ScenarioError) as info:
        load_scenario(BAD / "negative_price.yaml")
    (problem,) = info.value.problems
    assert problem == Problem("brands.0 (focal).product.price", "got -5; must be > 0 and ≤ 1 000 000", 5)
    assert str(info.value) == f"{BAD / 'negative_price.yaml'}:5: brands.0 (focal).product.price: got -5; must be > 0 and ≤ 1 000 000"


# --------------------------------------------------------------------------- files that are not there
def test_missing_file_suggests_neighbour():
    with pytest.raises(ScenarioError, match=r"basline.yaml: file not found; did you mean 'baseline.yaml'\?"):
        load_scenario(BASELINE.with_name("basline.yaml"))


def test_folder_instead_of_file(tmp_path):
    # a folder of its own: scenarios/ may hold other people's files (e.g. calibration output)
    for name in ("b.yaml", "a.yml", "notes.txt"):
        (tmp_path / name).write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(ScenarioError, match="is a folder, not a scenario file; YAML files in it: a.yml, b.yaml$"):
        load_scenario(tmp_path)


# --------------------------------------------------------------------------- good files
def test_baseline_loads(recwarn):
    sc = load_scenario(BASELINE)
    assert isinstance(sc, Scenario)
    assert [b.name for b in sc.brands] == ["focal", "rival"]
    assert sc.simulation.start_date == dt.date(2026, 1, 1)
    assert not [w for w in recwarn if "socsim" in str(w.category)]


def test_text_and_file_agree():
    assert load_scenario_text(BASELINE.read_text(encoding="utf-8")) == load_scenario(BASELINE)


def test_text_loader_uses_file_name():
    with pytest.raises(ScenarioError, match=r"^mine.yaml:2: "):
        load_scenario_text("name: x\nbrands: 5\n", file="mine.yaml")


def test_edge_list_path_resolved_against_scenario_folder(tmp_path):
    (tmp_path / "edges.txt").write_text("0 1\n1 2\n")
    text = MINIMAL + "world:\n  graph: {kind: edge_list, path: edges.txt}\n"
    (tmp_path / "s.yaml").write_text(text)
    sc = load_scenario(tmp_path / "s.yaml")
    assert sc.world.graph.path == str((tmp_path / "edges.txt").resolve())
    assert load_scenario_text(text, base_dir=tmp_path).world.graph.path == sc.world.graph.path


def test_anchors_and_merge_keys_are_plain_data():
    text = MINIMAL.replace("product: {price: 129, unit_cost: 35}", "product: &p {price: 129, unit_cost: 35}")
    text += "  - name: rival\n    product: {<<: *p, price: 119}\n    channels: {tmall: {}}\n"
    sc = load_scenario_text(text)
    assert sc.brands[1].product.unit_cost == 35 and sc.brands[1].product.price == 119


def test_multiple_documents_are_an_error():
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenario_text(MINIMAL + "---\nname: second\n")


# --------------------------------------------------------------------------- schedules
def test_schedule_change_applies():
    text = MINIMAL.replace("channels: {tmall: {}}", "channels: {tmall: {price: 129}}") + (
        "    strategy:\n      paid_media: [{channel: douyin, budget_per_day: 100}]\n"
        "      schedule:\n        - {from: 2026-11-01, to: 2026-11-11, set: {channels.tmall.price: 99, "
        "strategy.parity: none, strategy.paid_media.0.budget_per_day: 0}}\n"
        "channels: {tmall: {}, douyin: {transacts: false}}\n"
    )
    sc = load_scenario_text(text)
    brand = sc.brands[0]
    changed = apply_brand_changes(brand, brand.strategy.schedule[0].set)
    assert changed.channels["tmall"].price == 99
    assert changed.strategy.parity == "none"
    assert changed.strategy.paid_media[0].budget_per_day == 0
    assert brand.channels["tmall"].price == 129  # the loaded brand is untouched


def test_apply_brand_changes_rejects_bad_path_and_value():
    brand = load_scenario(BASELINE).brands[0]
    with pytest.raises(ScenarioError, match="no such field in brand 'focal'"):
        apply_brand_changes(brand, {"channels.jd.price": 1})
    with pytest.raises(ScenarioError, match=r"channels.tmall.price: got -1; must be > 0"):
        apply_brand_changes(brand, {"channels.tmall.price": -1})


def test_schedule_cannot_rename_brand():
    text = MINIMAL + "    strategy:\n      schedule: [{from: 2026-01-01, to: 2026-01-02, set: {name: other}}]\n"
    with pytest.raises(ScenarioError, match=r":7: brands.0 \(focal\).strategy.schedule.0.set.name: a schedule cannot change"):
        load_scenario_text(text)


# --------------------------------------------------------------------------- generic models
class _Experiment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: str
    replications: int = Field(10, ge=1)


def test_load_model_generic():
    assert load_model("scenario: a.yaml\n", _Experiment).replications == 10
    with pytest.raises(ScenarioError) as info:
        load_model("scenario: a.yaml\nreplications: 0\nreplicatons: 2\n", _Experiment, file="e.yaml")
    assert [p.render("e.yaml") for p in info.value.problems] == [
        "e.yaml:2: replications: got 0; must be ≥ 1",
        "e.yaml:3: replicatons: unknown key 'replicatons'; did you mean 'replications'?",
    ]


class _Window(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> "_Window":
        if self.end < self.start:
            raise ValueError("to: must not be before from\nnote: this line has no field prefix")
        return self


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    windows: list[_Window]


def test_validator_messages_with_field_prefix_get_that_line():
    text = "windows:\n  - from: 2026-02-01\n    to: 2026-01-01\n"
    with pytest.raises(ScenarioError) as info:
        load_model(text, _Plan, file="p.yaml")
    assert [p.render("p.yaml") for p in info.value.problems] == [
        "p.yaml:2: windows.0: note: this line has no field prefix",
        "p.yaml:3: windows.0.to: must not be before from",
    ]


# --------------------------------------------------------------------------- reference docs
def test_scenario_reference_is_current():
    doc = ROOT / "docs" / "SCENARIO.md"
    assert doc.read_text(encoding="utf-8") == schema_markdown(), (
        "docs/SCENARIO.md is stale: run `socsim schema > docs/SCENARIO.md`")


def test_reference_lists_every_field():
    text = schema_markdown()
    for path in ("`brands[].channels.<key>.price`", "`world.graph.degree`", "`brands[].strategy.schedule[].from`",
                 "`channels.<key>.events[].date`", "`world.segments.<key>.share`"):
        assert path in text
    assert "| `GraphKind` | `small_world` \\| `powerlaw_cluster`" in text


# --------------------------------------------------------------------------- fuzzing
_scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**12) | st.floats(allow_nan=True)
            | st.text(max_size=12) | st.dates() | st.sampled_from(["none", "strict", "edge_list", "tmall", "06-18"]))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=8) | st.integers(0, 3), inner, max_size=4), max_leaves=12)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # yaml.safe_dump, with libyaml's speed
_BASE = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))


def _paths(node, prefix=()):
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield from _paths(child, (*prefix, key))


_BASE_PATHS = list(_paths(_BASE))[1:]


def _assert_loads_or_scenario_error(text: str) -> None:
    try:
        assert isinstance(load_scenario_text(text), Scenario)
    except ScenarioError as exc:
        assert exc.problems and all(isinstance(p.render("f"), str) for p in exc.problems)


_FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.data())
def test_fuzz_mutated_baseline(data):
    doc = copy.deepcopy(_BASE)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_BASE_PATHS))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = data.draw(st.sampled_from(["replace", "delete", "unknown"]))
            if action == "delete":
                del parent[path[-1]]
            elif action == "replace":
                parent[path[-1]] = data.draw(_values)
            elif isinstance(parent, dict):
                parent[data.draw(st.text(min_size=1, max_size=8))] = data.draw(_values)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced this path
    _assert_loads_or_scenario_error(yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True))


@_FUZZ
@given(_values)
def test_fuzz_random_documents(value):
    _assert_loads_or_scenario_error(yaml.dump(value, Dumper=_DUMPER, sort_keys=False))


_TOKENS = st.sampled_from(["name", "brands", "world", ":", " ", "\n", "  ", "- ", "{", "}", "[", "]", ",", "&a ", "*a",
                           "<<: ", "!!python/object:os.system ", "!!int ", "!!binary ", "'", '"', "\t", "#",
                           "2026-13-45", "---", "...", "?", "|", ">", "%YAML 1.1\n", "\x00", "é", "~"])


@_FUZZ
@given(st.lists(_TOKENS, max_size=40).map("".join) | st.text(max_size=60))
def test_fuzz_random_text(text):
    _assert_loads_or_scenario_error(text)


@_FUZZ
@given(st.integers(0, len(MINIMAL)), st.lists(_TOKENS, min_size=1, max_size=4).map("".join))
def test_fuzz_spliced_minimal(position, insert):
    _assert_loads_or_scenario_error(MINIMAL[:position] + insert + MINIMAL[position:])

