"""YAML with bounded size: an alias bomb (nested anchors) is refused before it is built.

Why: ``yaml.safe_load`` shares aliased nodes, so "9 levels of 9 aliases" loads in microseconds,
but anything that walks the value (validation, an error message's repr, ``json.dumps``) then
visits 9**9 nodes: minutes and gigabytes. Here the document is composed into nodes first, its
*expanded* size is counted in time linear in the text (each node's size is computed once), and a
document that would expand past ``MAX_NODES`` nodes, or nests deeper than ``MAX_DEPTH``, or
refers to itself, is one line naming its source. Ordinary recipes are a few hundred nodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from robustx.base.errors import RecipeError, RunFileError
from robustx.base.files import read_text_file

MAX_NODES = 100_000
MAX_DEPTH = 100
MAX_CHARS = 5_000_000  # 5 MB of YAML is far beyond any recipe


def expanded_size(root: yaml.Node, source: str) -> int:
    """Nodes that ``root`` stands for once every alias is expanded (raises past the limits)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:  # iterative post-order: a deeply nested document must not hit Python's recursion limit
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > MAX_NODES:
                raise RecipeError(f"{source}: the YAML expands to more than {MAX_NODES:,} values (nested "
                                  "anchors and aliases?); refused before loading it")
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise RecipeError(f"{source}: a YAML anchor refers to itself (a recursive alias); refused")
        if depth > MAX_DEPTH:
            raise RecipeError(f"{source}: the YAML nests deeper than {MAX_DEPTH} levels; refused")
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def flow_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting outside quotes and comments, in one pass over the text.

    Needed before parsing: PyYAML's scanner is quadratic in flow nesting (5000 ``[`` take 20 s).
    """
    depth = deepest = 0
    quote = ""
    previous = "\n"
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and (previous in " \t\n[{,:" or previous == quote):
            quote = char
        elif char == "#" and previous in " \t\n":
            quote = "\n"  # a comment runs to the end of the line
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
        previous = char
    return deepest


def load(text: str, source: str) -> Any:
    """``yaml.safe_load(text)``, refusing documents that expand past the limits (``yaml.YAMLError`` as before)."""
    if len(text) > MAX_CHARS:
        raise RecipeError(f"{source}: {len(text):,} characters of YAML (limit {MAX_CHARS:,}); refused")
    if flow_depth(text) > MAX_DEPTH:
        raise RecipeError(f"{source}: the YAML nests deeper than {MAX_DEPTH} levels; refused")
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # PyYAML composes recursively: thousands of '[' exhaust the stack
            raise RecipeError(f"{source}: the YAML nests deeper than {MAX_DEPTH} levels; refused") from None
        if node is None:
            return None
        expanded_size(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_file(path: Path, *, hint: str) -> Any:
    """The YAML of a file robustx wrote (a run's recipe.yaml); errors name the file and ``hint``."""
    text = read_text_file(path, kind="YAML", hint=hint)
    try:
        return load(text, str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise RunFileError(f"{where}: damaged YAML ({getattr(exc, 'problem', None) or 'syntax error'}); "
                           f"{hint}") from None
