"""Layers -> the rig: which bone, slot, skin, placeholder and image each layer becomes.

The rules are Spine's Import PSD (editor 4.2) and PhotoshopToSpine v7 (docs/psd.md has
the table). Per layer, with its groups' tags (outermost first) and its own:

* **name**: the layer name through the ``[name:pre*post]`` patterns of its groups,
  innermost first (a ``[!name]`` blocks those above it);
* **attachment name**: the ``[folder]`` and ``[skin]`` folders + the name (a name
  starting with ``/`` ignores them); **skin**: the nearest ``[skin]`` (outer folders
  prefixed); **placeholder** (the key in the skin): the attachment name without the
  skin's ``skin/`` prefix, so the same layer name in two skins is one slot with one
  placeholder and the attachment ``"name": "skin/placeholder"``;
* **path** (the image, and the atlas region): ``[path:name]`` or the name, through the
  groups' ``[path:pre*post]`` patterns, in the folders (``/`` at the start: absolute);
* **slot**: the nearest ``[slot]`` value, else the name, through ``[slot:pre*post]``
  patterns; a ``/`` in it makes slot folders and is kept;
* **bones**: every ``[bone]`` up the hierarchy (nested as the groups nest), each name
  through the ``[bone:pre*post]`` patterns above it;
* **linked mesh**: ``[mesh:name]`` names a mesh in the same slot (its attachment name,
  or its placeholder), else :class:`DocumentError`.

The same placeholder twice in one skin and slot is a :class:`DocumentError` (the editor
and the script refuse it too) when the skin is named or the slot asked for; untagged
default-skin layers that share a name get slots ``name (2)``... (PSDs not made for
Spine). Names stay text: the image path is made safe
(:func:`~spinelift.spine.paths.unique_paths`) before it names a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from spinelift.errors import DocumentError
from spinelift.io.document import Document, Layer, LayerTags
from spinelift.io.origin import Origin as Origin  # re-exported: its home before
from spinelift.io.psd.tags import apply_patterns, effective_tags, folder_path, is_value
from spinelift.spine.paths import safe_path, unique_paths

ROOT = "root"


def origin_point(document: Document, fallback: Origin) -> tuple[float, float]:
    """The canvas point of skeleton (0, 0): the document's ``[origin]`` layer or guides
    per axis (:attr:`Document.origin`), else ``fallback``."""
    fx, fy = fallback.point(document.width, document.height)
    x, y = document.origin
    return (fx if x is None else x, fy if y is None else y)


@dataclass(frozen=True, eq=False)
class LayerRole:
    """What one layer becomes. ``bones``: the bone chain from the root's child down to the
    layer's own bone (empty = the root). ``attachment``: the placeholder (the key in the
    skin); ``name``: the attachment's full name; ``path``: its image path as asked;
    ``region``: that path made safe and unique (the atlas region / PNG).
    ``linked``: the source role of a linked mesh."""

    layer: Layer
    tags: LayerTags
    attachment: str
    name: str
    path: str
    region: str
    slot: str
    skin: str
    bones: tuple[str, ...]
    as_mesh: bool
    linked: LayerRole | None = None

    @property
    def bone(self) -> str:
        return self.bones[-1] if self.bones else ROOT


def plan_roles(document: Document, *, include_hidden: bool = True) -> list[LayerRole]:
    """One role per layer kept, in draw order (bottom first). Raises
    :class:`DocumentError` for a placeholder used twice in one skin and slot, or a
    ``[mesh:name]`` whose source is not a mesh in the same slot."""
    layers = [
        layer
        for layer in document.layers
        if not layer.tags.ignore and (include_hidden or layer.visible)
    ]
    planned = [_plan(layer) for layer in layers]
    regions = unique_paths([p[2] for p in planned])
    roles = [
        LayerRole(layer, tags, placeholder, name, path, region, slot, skin, bones, mesh)
        for layer, (tags, name, path, placeholder, skin, slot, bones, mesh), region in zip(
            layers, planned, regions, strict=True
        )
    ]
    return _link(_check_duplicates(roles))


def _plan(
    layer: Layer,
) -> tuple[LayerTags, str, str, str, str, str, tuple[str, ...], bool]:
    """(tags, attachment name, path, placeholder, skin, slot, bones, as mesh)."""
    chain = [*layer.group_tags, layer.tags]
    last = len(chain) - 1
    tags = effective_tags(layer.group_tags, layer.tags)
    named = apply_patterns(layer.name, chain, last, "name")
    folder = folder_path(chain)
    name = _in_folder(named, folder) or "unnamed"
    skin = tags.skin or "default"
    prefix = skin + "/"
    placeholder = name[len(prefix) :] if skin != "default" and name.startswith(prefix) else name
    own_path = layer.tags.path if is_value(layer.tags.path) else None
    path_value = apply_patterns(own_path or named, chain, last, "path")
    unchanged = own_path is None and path_value == named
    path = name if unchanged else _in_folder(path_value, folder)
    return (
        tags,
        name,
        path,
        placeholder,
        skin,
        _slot(chain, named),
        _bones(chain),
        tags.mesh is not False,
    )


def _in_folder(value: str, folder: str) -> str:
    """``value`` in ``folder``, unless it starts with ``/`` (then only the ``/`` goes)."""
    if value.startswith("/"):
        return value[1:]
    return f"{folder}/{value}" if folder else value


def _slot(chain: list[LayerTags], named: str) -> str:
    value, position = named, len(chain) - 1
    for p in range(len(chain) - 1, -1, -1):
        if is_value(chain[p].slot):
            value, position = str(chain[p].slot), p
            break
    value = value[1:] if value.startswith("/") else apply_patterns(value, chain, position, "slot")
    clean = "".join(c for c in value if c.isprintable()).strip().strip("/")
    return clean or "slot"


def _bones(chain: list[LayerTags]) -> tuple[str, ...]:
    names: list[str] = []
    for p, tags in enumerate(chain):
        if not is_value(tags.bone):
            continue
        value = str(tags.bone)
        value = value[1:] if value.startswith("/") else apply_patterns(value, chain, p, "bone")
        names.append(safe_path(value, fallback="bone").replace("/", "_"))
    return tuple(dict.fromkeys(names))


def _check_duplicates(roles: list[LayerRole]) -> list[LayerRole]:
    """Refuse the same placeholder twice in one skin and slot (Import PSD and the script
    refuse it) when the slot was asked for (a ``[slot]``) or the skin is named; layers
    of the default skin that merely share a name, untagged (``Layer 1`` in two groups of
    a PSD not made for Spine), get their own slots ``name (2)``, ``name (3)`` instead."""
    seen: dict[tuple[str, str, str], list[LayerRole]] = {}
    for role in roles:
        seen.setdefault((role.skin, role.slot, role.attachment), []).append(role)
    problems: list[str] = []
    renamed: dict[int, str] = {}
    taken = {role.slot for role in roles}
    for (skin, slot, key), group in seen.items():
        if len(group) < 2:
            continue
        asked = any(is_value(t.slot) for r in group for t in (*r.layer.group_tags, r.layer.tags))
        if skin != "default" or asked:
            names = ", ".join("/".join((*r.layer.group_path, r.layer.raw_name)) for r in group)
            problems.append(
                f'skin "{skin}", slot "{slot}": {len(group)} layers are the placeholder "{key}" '
                f"({names})"
            )
            continue
        count = 1
        for role in group[1:]:
            count += 1
            while f"{slot} ({count})" in taken:
                count += 1
            renamed[id(role)] = f"{slot} ({count})"
            taken.add(renamed[id(role)])
    if problems:
        raise DocumentError(
            "the same placeholder twice in one skin and slot (rename the layers, or use "
            "[ignore] or [folder]): " + "; ".join(problems),
            details={"rule": "duplicate_placeholder", "problems": problems},
        )
    return [_with_slot(r, renamed[id(r)]) if id(r) in renamed else r for r in roles]


def _with_slot(role: LayerRole, slot: str) -> LayerRole:
    return LayerRole(
        role.layer, role.tags, role.attachment, role.name, role.path, role.region, slot,
        role.skin, role.bones, role.as_mesh, role.linked,
    )  # fmt: skip


def _link(roles: list[LayerRole]) -> list[LayerRole]:
    """Resolve ``[mesh:name]``: the source is a mesh in the same slot, found by attachment
    name, else by placeholder in the same skin, else by a placeholder unique in the slot."""
    out: list[LayerRole] = []
    problems: list[str] = []
    for role in roles:
        wanted = role.tags.linked_mesh
        if not wanted or role.tags.mesh is False:
            out.append(role)
            continue
        same_slot = [r for r in roles if r.slot == role.slot and r is not role]
        found = (
            [r for r in same_slot if r.name == wanted]
            or [r for r in same_slot if r.attachment == wanted and r.skin == role.skin]
            or [r for r in same_slot if r.attachment == wanted]
        )
        source = found[0] if len(found) == 1 else None
        if source is not None and source.tags.linked_mesh:
            source = None  # a chain of linked meshes: Spine links to a real mesh only
        if source is None:
            problems.append(
                f"layer {role.layer.raw_name!r}: [mesh:{wanted}] finds no mesh of that name in "
                f'slot "{role.slot}"' + (" (several match)" if len(found) > 1 else "")
            )
            out.append(role)
            continue
        out.append(
            LayerRole(
                role.layer, role.tags, role.attachment, role.name, role.path, role.region,
                role.slot, role.skin, role.bones, True, source,
            )
        )  # fmt: skip
    if problems:
        raise DocumentError(
            "linked meshes need their source mesh in the same slot (prepend the skin name "
            "if the source is in a skin, e.g. [mesh:red/arm]): " + "; ".join(problems),
            details={"rule": "linked_mesh_source", "problems": problems},
        )
    return out
