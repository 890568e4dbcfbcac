"""YAML reading that remembers where every value came from.

PyYAML's composed node tree knows the line of every node; we turn it into plain Python data
plus a map from path (a tuple of keys and list indices) to the 1-based line, so that any later
error, even one found by pydantic, can name the line.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from contingent.errors import InputError

PathKey = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings: we parse times ourselves, with offsets."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(text: str, file: str) -> tuple[Any, dict[PathKey, int]]:
    """Parse YAML text into plain data and a path-to-line map.

    Uses libyaml (PyYAML's C parser) when it is available and the text is plain; falls back to
    the pure-Python parser for anything unusual and for every error, so that results and error
    messages are those of the pure-Python parser.

    Raises
    ------
    InputError
        On a syntax error or a duplicate key, located at the offending line.
    """
    if _CLoader is not None and not _UNUSUAL.search(text):
        try:
            return _read_fast(text, file)
        except InputError:
            raise
        except Exception:  # the pure-Python parser gives the reference result or error
            pass
    return _read_python(text, file)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs) for the ``with`` block.

    Reading a large document builds millions of small objects that all stay alive; the
    collector would traverse them again and again for nothing. Nothing here makes cycles, and
    reference counting still frees everything else at once.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _read_python(text: str, file: str) -> tuple[Any, dict[PathKey, int]]:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise InputError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (a control character): located by its position.
        line = text.count("\n", 0, max(0, exc.position)) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise InputError(f"YAML syntax error: unacceptable character #x{char:04x}: "
                         f"{exc.reason}", file=file, line=line) from None
    lines: dict[PathKey, int] = {}
    if node is None:
        return None, lines
    constructor = _Loader(text)
    return _convert(node, (), lines, constructor, file), lines


def _duplicate(key: str, key_node: yaml.Node, path: PathKey, file: str) -> InputError:
    """The located error for a key given twice in one mapping (both readers raise it)."""
    return InputError(f"duplicate key {key!r}", file=file, line=key_node.start_mark.line + 1,
                      field=format_path((*path, key)))


def _convert(
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    constructor: yaml.SafeLoader,
    file: str,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(constructor, key_node, path, file)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise _duplicate(key, key_node, path, file)
            out[key] = _convert(value_node, (*path, key), lines, constructor, file)
            # A key's own line is more useful than its value's when the value is a block.
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(child, (*path, i), lines, constructor, file)
            for i, child in enumerate(node.value)
        ]
    return _construct(constructor, node, path, file)


def _construct(constructor: yaml.SafeLoader, node: yaml.Node, path: PathKey, file: str) -> Any:
    """A scalar's value; an explicit tag it cannot satisfy (``!!int abc``) is a located error."""
    try:
        return constructor.construct_object(node)
    except (ValueError, TypeError, yaml.YAMLError):
        tag = str(node.tag).rsplit(":", 1)[-1]
        raise InputError(f"cannot read {node.value!r} as {tag}", file=file,
                         line=node.start_mark.line + 1, field=format_path(path)) from None


# Characters on which libyaml (0.2.5) is more lenient than the pure-Python parser or may count
# lines differently: tabs, '?' (libyaml allows it inside plain scalars in flow collections),
# byte order marks, NEL and the Unicode line and paragraph separators. A text with any of them
# takes the pure-Python path.
_UNUSUAL = re.compile("[\t?\x85\u2028\u2029\ufeff]")

_STR_TAG = "tag:yaml.org,2002:str"
_SCALAR_NODE = yaml.ScalarNode
# Tags whose scalars construct to an immutable value that depends on the text alone, so one
# construction serves every scalar with the same tag and text.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null")
)

_CLoader: type | None = None
if hasattr(yaml, "CSafeLoader"):

    class _CSafeLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        """libyaml counterpart of :class:`_Loader`, resolving each distinct scalar once.

        libyaml calls back into Python for every node's tag; with no path resolvers (none
        are registered) a tag depends on the node kind and, for plain scalars, the text only.
        """

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._tags: dict[str, str] = {}

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is _SCALAR_NODE:
                if not implicit[0]:
                    return _STR_TAG
                try:
                    return self._tags[value]
                except KeyError:
                    tag = self._tags[value] = super().resolve(kind, value, implicit)
                    return tag
            return super().resolve(kind, value, implicit)

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

    assert not _CSafeLoader.yaml_path_resolvers
    assert _CSafeLoader.DEFAULT_SCALAR_TAG == _STR_TAG
    _CLoader = _CSafeLoader


def _read_fast(text: str, file: str) -> tuple[Any, dict[PathKey, int]]:
    """:func:`_read_python` on libyaml; any YAML error is left to the caller."""
    assert _CLoader is not None
    with paused_gc():
        loader = _CLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        lines: dict[PathKey, int] = {}
        if node is None:
            return None, lines
        return _convert_fast(node, lines, loader, file), lines


def _convert_fast(root: yaml.Node, lines: dict[PathKey, int], constructor: Any,
                  file: str) -> Any:
    """:func:`_convert`, with scalars of the plain tags constructed once per distinct text.

    A ``str`` scalar constructs to its own text; ``int``, ``float``, ``bool`` and ``null``
    ones to an immutable value of the text; anything else goes to the constructor.
    """
    scalars: dict[tuple[str, str], Any] = {}
    mapping_node, sequence_node, scalar_node = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode
    plain_tags, str_tag = _PLAIN_TAGS, _STR_TAG

    def scalar(node: Any) -> Any:
        if type(node) is scalar_node:
            tag = node.tag
            if tag == str_tag:
                return node.value
            if tag in plain_tags:
                k = (tag, node.value)
                try:
                    return scalars[k]
                except KeyError:
                    v = scalars[k] = constructor.construct_object(node)
                    return v
        return constructor.construct_object(node)

    def conv(node: Any, path: PathKey) -> Any:
        lines[path] = node.start_mark.line + 1
        cls = type(node)
        if cls is mapping_node:
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == str_tag and type(key_node) is scalar_node:
                    key = key_node.value
                else:
                    key = scalar(key_node)
                    if not isinstance(key, str):
                        key = str(key)
                if key in out:
                    raise _duplicate(key, key_node, path, file)
                kpath = (*path, key)
                if type(value_node) is scalar_node:
                    out[key] = scalar(value_node)
                else:
                    out[key] = conv(value_node, kpath)
                # A key's own line is more useful than its value's when the value is a block.
                lines[kpath] = key_node.start_mark.line + 1
            return out
        if cls is sequence_node:
            return [conv(child, (*path, i)) for i, child in enumerate(node.value)]
        return scalar(node)

    return conv(root, ())


def format_path(path: PathKey, data: Any = None) -> str:
    """Render a path as ``units[RUS-1].vehicles.BMD-2``; list items by ``id`` when known."""
    out = ""
    cur = data
    for key in path:
        if isinstance(key, int):
            label: str | int = key
            if isinstance(cur, list) and 0 <= key < len(cur):
                item = cur[key]
                if isinstance(item, dict) and isinstance(item.get("id"), str | int):
                    label = str(item["id"])
            out += f"[{label}]"
        else:
            out += f".{key}" if out else key
        if isinstance(cur, dict):
            cur = cur.get(key) if isinstance(key, str) else None
        elif isinstance(cur, list) and isinstance(key, int) and 0 <= key < len(cur):
            cur = cur[key]
        else:
            cur = None
    return out or "(document)"


def line_of(lines: dict[PathKey, int], path: PathKey) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    p = tuple(path)
    while True:
        if p in lines:
            return lines[p]
        if not p:
            return None
        p = p[:-1]


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning OS errors into located input errors."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", file=str(path)) from None
