"""Reading a scenario or policy YAML file without letting bad input hang or crash the reader.

Scenario and policy files are small, hand-written UTF-8 YAML. Before parsing, a file is
refused when it is too large (read up to the limit, never whole), is UTF-16 or binary, or
is not UTF-8 (naming the line and column of the first bad byte). After composing, a file
whose aliases expand to too many values (a "billion laughs" file) or refer to themselves
is refused, so the readers that walk the node tree stay linear. Errors name file and line.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

import yaml

MAX_YAML_BYTES = 4 * 2**20  # assumption: the largest built-in file is under 30 kB
MAX_EXPANDED_VALUES = 200_000  # assumption: built-in files expand to a few thousand values
MAX_FLOW_DEPTH = 64  # [ and { nested deeper: PyYAML's scanner slows quadratically with depth
MAX_INDENT = 256  # columns; deeper block nesting: the same (and the composer's recursion)


class YamlInputError(ValueError):
    """A YAML file that cannot be read; ``line``/``column`` are 1-based when known."""

    def __init__(self, source: str, message: str, line: int | None = None, column: int | None = None):
        self.source, self.message, self.line, self.column = source, message, line, column
        where = source + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {message}")


def read_yaml_text(path: str | Path) -> str:
    """The text of a YAML file, or ``YamlInputError`` saying why it is not one."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise YamlInputError(source, "no such file") from None
    except IsADirectoryError:
        raise YamlInputError(source, "is a directory, not a YAML file") from None
    except OSError as error:
        raise YamlInputError(source, f"cannot read: {error.strerror or error}") from None
    if len(data) > MAX_YAML_BYTES:
        raise YamlInputError(source, f"larger than {MAX_YAML_BYTES // 2**20} MB: not a scenario or policy file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise YamlInputError(source, "the file is UTF-16 text; save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        raise YamlInputError(source, "binary data (a NUL byte): not a YAML text file", line, column)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = _position(data, error.start)
        raise YamlInputError(source, f"not UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8",
                             line, column) from None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def compose_yaml(text: str, source: str) -> yaml.Node | None:
    """The node tree of ``text`` (None for an empty document), with depth and aliases bounded."""
    _check_depth(text, source)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise YamlInputError(source, f"not valid YAML ({problem})", *(_mark(mark) if mark else ())) from None
    except RecursionError:
        raise YamlInputError(source, "not valid YAML (nested too deeply)") from None
    if node is not None:
        _check_expansion(node, source)
    return node


def construct_yaml(node: yaml.Node | None, source: str) -> Any:
    """Python values of a composed document (mappings, lists, scalars)."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise YamlInputError(source, f"not valid YAML ({problem})", *(_mark(mark) if mark else ())) from None
    except (ValueError, OverflowError) as error:  # e.g. an unquoted date 2025-13-45
        raise YamlInputError(source, f"not valid YAML ({error})") from None
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> tuple[Any, yaml.Node | None]:
    """(values, node tree) of a YAML file: ``read_yaml_text``, ``compose_yaml``, ``construct_yaml``."""
    node = compose_yaml(read_yaml_text(path), str(path))
    return construct_yaml(node, str(path)), node


def _mark(mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _check_depth(text: str, source: str) -> None:
    """Refuse nesting deeper than any real file's before PyYAML spends seconds on it (quotes ignored:
    a false alarm needs 64 unmatched brackets inside strings)."""
    depth = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_FLOW_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            raise YamlInputError(source, f"not valid YAML (brackets nested more than {MAX_FLOW_DEPTH} deep)", line)
    deep = re.search(rf"^ {{{MAX_INDENT},}}\S", text, re.MULTILINE)
    if deep:
        raise YamlInputError(source, f"not valid YAML (indented more than {MAX_INDENT} columns)",
                             text.count("\n", 0, deep.start()) + 1)


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Count the values the document holds once aliases are expanded (memoised: linear)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise YamlInputError(source, "an alias refers to a value that contains it (a recursive document)",
                                 *_mark(node.start_mark))
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = ()
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_VALUES:
                raise YamlInputError(source, f"aliases expand to more than {MAX_EXPANDED_VALUES:,} values "
                                     "(a 'billion laughs' file?)", *_mark(node.start_mark))
        active.discard(key)
        sizes[key] = total
        return total

    size(root)
