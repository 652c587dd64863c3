"""Dotted paths and ``--set`` overrides (sim/config/overrides.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config.loader import load_scenario
from sim.config.overrides import (
    PathError, apply_overrides, get_dotted, parse_override, resolve_path, set_dotted, split_path,
)
from sim.errors import ScenarioError

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


@pytest.fixture
def data() -> dict:
    return {
        "name": "t",
        "world": None,
        "channels": {"tmall": {"events": [{"name": "618", "date": "06-18"}, {"name": "double11"}]}},
        "brands": [
            {"name": "focal", "product": {"price": 129}, "channels": {"tmall": {"price": 129}}},
            {"name": "rival", "product": {"price": 119}},
        ],
    }


# --------------------------------------------------------------------------- addressing
def test_set_by_name(data):
    out = apply_overrides(data, ["brands.focal.channels.tmall.price=149"])
    assert out["brands"][0]["channels"]["tmall"]["price"] == 149


def test_set_by_index(data):
    out = apply_overrides(data, ["brands.1.product.price=99.5"])
    assert out["brands"][1]["product"]["price"] == 99.5


def test_name_wins_over_index(data):
    # an event called "618" is addressable although 618 also reads as an index
    out = apply_overrides(data, ["channels.tmall.events.618.coupon_yuan=30"])
    assert out["channels"]["tmall"]["events"][0]["coupon_yuan"] == 30


def test_input_not_modified(data):
    apply_overrides(data, ["brands.focal.product.price=1"])
    assert data["brands"][0]["product"]["price"] == 129


def test_missing_mapping_keys_are_created(data):
    out = apply_overrides(data, ["brands.rival.strategy.parity=none", "world.graph.degree=50"])
    assert out["brands"][1]["strategy"] == {"parity": "none"}
    assert out["world"] == {"graph": {"degree": 50}}  # an empty section becomes a mapping


def test_overrides_apply_in_order(data):
    out = apply_overrides(data, ["name=a", "name=b"])
    assert out["name"] == "b"


# --------------------------------------------------------------------------- values
@pytest.mark.parametrize(("text", "value"), [
    ("149", 149), ("1.5", 1.5), ("none", "none"), ("null", None), ("", None), ("true", True),
    ("[a, b]", ["a", "b"]), ("{x: 1}", {"x": 1}), ("'06-18'", "06-18"), ("a=b", "a=b"),
    ("2026-11-11", __import__("datetime").date(2026, 11, 11)),
])
def test_value_types(text, value):
    assert parse_override(f"x.y={text}") == ("x.y", value)


def test_value_with_python_tag_is_refused():
    with pytest.raises(PathError, match="not allowed"):
        parse_override("name=!!python/object/apply:os.system [echo hi]")


def test_bad_yaml_value():
    with pytest.raises(PathError, match="cannot read the value"):
        parse_override("brands.0.channels=[1")


# --------------------------------------------------------------------------- errors
def test_unknown_name_lists_available(data):
    with pytest.raises(ScenarioError) as info:
        apply_overrides(data, ["brands.focl.product.price=1"], file="s.yaml")
    text = str(info.value)
    assert text.startswith("s.yaml: --set brands.focl.product.price:")
    assert "names: focal, rival" in text and "did you mean 'focal'?" in text


def test_index_out_of_range(data):
    with pytest.raises(ScenarioError, match=r"--set brands\.5\.name: brands has no item '5'.*indices 0–1"):
        apply_overrides(data, ["brands.5.name=x"])


def test_no_equals_sign(data):
    with pytest.raises(ScenarioError, match=r"--set brands\.focal\.product\.price: an override needs the form"):
        apply_overrides(data, ["brands.focal.product.price"])


@pytest.mark.parametrize("text", ["=1", "a..b=1", ".a=1", "a.=1"])
def test_empty_path_parts(data, text):
    with pytest.raises(ScenarioError, match="non-empty parts"):
        apply_overrides(data, [text])


def test_step_into_scalar(data):
    with pytest.raises(ScenarioError, match="brands.0.name is a str"):
        apply_overrides(data, ["brands.focal.name.x=1"])


def test_every_bad_override_reported(data):
    with pytest.raises(ScenarioError) as info:
        apply_overrides(data, ["nope", "brands.x.a=1", "name=ok"])
    assert [p.path for p in info.value.problems] == ["--set nope", "--set brands.x.a"]


# --------------------------------------------------------------------------- helpers
def test_get_and_set_dotted(data):
    assert get_dotted(data, "brands.rival.product.price") == 119
    assert set_dotted(data, "brands.rival.product.price", 100) == ["brands", 1, "product", "price"]
    assert data["brands"][1]["product"]["price"] == 100


def test_get_dotted_missing_key_suggests(data):
    with pytest.raises(PathError, match=r"brands.0 has no key 'prodct'; keys there: name, product, channels; did you mean 'product'\?"):
        get_dotted(data, "brands.focal.prodct.price")


def test_set_dotted_without_create(data):
    with pytest.raises(PathError, match="has no key 'strategy'"):
        set_dotted(data, "brands.rival.strategy.parity", "none", create=False)


def test_int_keys_written_unquoted():
    # YAML reads an unquoted key 618 as an int; a path still finds it
    assert resolve_path({"events": {618: {"x": 1}}}, "events.618.x") == ["events", 618, "x"]


def test_split_path():
    assert split_path(" a.b.0 ") == ["a", "b", "0"]


# --------------------------------------------------------------------------- through the loader
def test_override_through_loader_by_name_and_index():
    sc = load_scenario(BASELINE, ["brands.focal.channels.tmall.price=149", "brands.1.strategy.parity=floor"])
    assert sc.brands[0].channels["tmall"].price == 149
    assert sc.brands[1].strategy.parity == "floor"


def test_override_value_validated_like_the_file():
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, ["brands.focal.strategy.parity=sometimes"])
    (problem,) = info.value.problems
    assert problem.path == "brands.0 (focal).strategy.parity"
    assert "allowed: none | strict | floor" in problem.message
    assert "(from --set brands.focal.strategy.parity=sometimes)" in problem.message
    assert problem.line is None  # the value is not on any line of the file


def test_override_unknown_key_gets_suggestion():
    with pytest.raises(ScenarioError, match=r"world.graph.degre: unknown key 'degre'; did you mean 'degree'\?"):
        load_scenario(BASELINE, ["world.graph.degre=3"])


def test_override_error_names_file():
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, ["brands.nobody.product.price=1"])
    assert str(info.value).startswith(f"{BASELINE}: --set brands.nobody.product.price: ")
