"""Materialised-path trees (user groups, departments): `path` is "/1/4/9/", the ids from the
root down, so "this node and everything below" is one indexed prefix match. Services keep the
paths in step through these helpers."""

from __future__ import annotations

from typing import Any, Protocol

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat, Substr


class PathNode(Protocol):
    pk: Any
    path: str


class TreeDepth:
    """Mixed into tree models: the depth of a node, 0 for a root."""

    path: str

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


def node_path(parent: PathNode | None, pk: int) -> str:
    """The path of node `pk` placed below `parent` (None: a root)."""
    return f"{parent.path if parent is not None else '/'}{pk}/"


def move_subtree(tree: QuerySet[Any], node: PathNode, parent: PathNode | None) -> None:
    """Rewrite the paths of `node` and everything below it (one UPDATE) for its new place
    below `parent`. `tree` is the nodes of the node's tree (its enterprise)."""
    old_path = node.path
    new_path = node_path(parent, node.pk)
    tree.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1))
    )
