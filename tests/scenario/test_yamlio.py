"""The YAML reader: libyaml for speed, with the pure-Python parser's results and errors."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest

from contingent.errors import InputError
from contingent.generate import generate
from contingent.scenario import bundled_scenarios, loads_scenario, yamlio
from contingent.scenario.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[2]
TINY = (ROOT / "tests" / "fixtures" / "tiny.yaml").read_text(encoding="utf-8")
KAZ = bundled_scenarios()["kazakhstan-2022"].read_text(encoding="utf-8")

needs_libyaml = pytest.mark.skipif(yamlio._CLoader is None, reason="PyYAML built without libyaml")

TEXTS = {
    "tiny": TINY,
    "kazakhstan": KAZ,
    "generated": generate(300, 20, 200, 6, 3),
    "tiny-crlf": TINY.replace("\n", "\r\n"),
    "scalars": (
        "a: [1, 0x1F, 1_000, -2.5e3, .inf, -.nan, ~, null, yes, No, 'yes', \"1\", 12:30]\n"
        "b: !!str 12\n"
        "c: {1: one, 2.5: two, null: three, true: four}\n"
        "d: &anchor {x: 1}\n"
        "e: *anchor\n"
        "f: |\n  two\n  lines\n"
        "g: 2022-01-13T10:00:00+06:00\n"
        "h:\n"
        "- - nested\n"
        "  - list\n"
        "- {}\n"
        "- []\n"
        "- ''\n"
    ),
    "empty": "",
    "comment-only": "# nothing\n",
}


@needs_libyaml
@pytest.mark.parametrize("name", list(TEXTS))
def test_libyaml_and_pure_python_readers_agree(name: str) -> None:
    text = TEXTS[name]
    assert not yamlio._UNUSUAL.search(text)
    fast = yamlio._read_fast(text, "f.yaml")
    slow = yamlio._read_python(text, "f.yaml")
    assert fast == slow
    assert repr(fast[0]) == repr(slow[0])  # same types too: 1 is not 1.0 nor True


@needs_libyaml
def test_the_big_scenarios_take_the_libyaml_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, file: str) -> None:
        raise AssertionError("pure-Python parser used")

    monkeypatch.setattr(yamlio, "_read_python", refuse)
    loads_scenario(KAZ)
    loads_scenario(TEXTS["generated"])


# libyaml accepts these; the pure-Python parser does not, and its verdict stands.
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [b?c]\n", "expected ',' or ']', but got '?'"),
        ("a: {b: c?d}\n", "expected ',' or '}', but got '?'"),
        ("a:\tb\n", "found character '\\t' that cannot start any token"),
        ("a: [b,\tc]\n", "found character '\\t' that cannot start any token"),
        ("- a\t\n", "found character '\\t' that cannot start any token"),
    ],
)
def test_what_libyaml_alone_accepts_stays_an_error(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        read_yaml(text, "f.yaml")
    assert str(info.value) == f"f.yaml:1: (document): YAML syntax error: {message}"


@pytest.mark.parametrize(
    "text",
    [
        "a: [b\n",
        "a: b\n  c: d\n",
        "a: *nowhere\n",
        "--- 1\n--- 2\n",
        "a: !!int x\n",
        "a: !!binary '@@'\n",
        "a: !custom 1\n",
        "a: \x07\n",
        "a: b\n\ufeffc: d\n",
        "a: b\u2028c: d\n",
    ],
)
def test_errors_are_those_of_the_pure_python_parser(text: str) -> None:
    def outcome(read: Callable[[str, str], object]) -> str:
        try:
            return repr(read(text, "f.yaml"))
        except Exception as exc:  # comparing whatever each raises
            return f"{type(exc).__name__}: {exc}"

    assert outcome(read_yaml) == outcome(yamlio._read_python)


def test_duplicate_key_is_located() -> None:
    with pytest.raises(InputError) as info:
        read_yaml("a:\n  b: 1\n  c: 2\n  b: 3\n", "f.yaml")
    assert str(info.value) == "f.yaml:4: a.b: duplicate key 'b'"


def test_lines_of_keys_and_items() -> None:
    data, lines = read_yaml("a:\n  - {id: X, n: 1}\n  -\n    id: Y\n    n: 2\nb: 3\n", "f.yaml")
    assert data == {"a": [{"id": "X", "n": 1}, {"id": "Y", "n": 2}], "b": 3}
    assert lines[()] == 1
    assert lines[("a",)] == 1
    assert lines[("a", 0)] == 2
    assert lines[("a", 0, "n")] == 2
    assert lines[("a", 1, "id")] == 4
    assert lines[("a", 1, "n")] == 5
    assert lines[("b",)] == 6


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_garbage_collector_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        loads_scenario(TINY)
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            loads_scenario(TINY.replace("count: 2,", "count: two,"))
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
