"""mkdocs.yml read the way MkDocs reads it: `INHERIT` followed, `!ENV` tags, the language.

Translated sites keep one mkdocs.yml per language folder that INHERITs the main one (FastAPI's
docs/fr/mkdocs.yml is the single line `INHERIT: ../en/mkdocs.yml`). MkDocs loads the parent
(relative to the child file) and merges the child over it: mappings key by key, the child's
keys win, anything else replaced. Here a parent must lie in the folder that holds the source's
folder (where the other languages are), at most `MAX_INHERIT` deep, without loops; the files are
found through the pack's IncludeArea, so a copied pack reads the copies `kit import` made.

`!ENV [NAME, default]` gives its default: an import never reads the environment, so the same
source imports the same way on every computer.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kit.library.documents import ImportProblem, slugify

CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
MAX_INHERIT = 5
# A folder named like a language code (en, fr, pt-BR, zh-hant): a site kept per language.
_LANGUAGE_FOLDER = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml may hold `!!python/name:…` and other tags: read them as nothing."""


def _env(loader, node):
    if isinstance(node, yaml.SequenceNode) and len(node.value) > 1:
        return loader.construct_object(node.value[-1])
    return None


_ConfigLoader.add_constructor("!ENV", _env)
_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def config_path(path: Path) -> Path | None:
    return next((path / name for name in CONFIG_NAMES if (path / name).is_file()), None)


def load_config_file(path: Path, name: str) -> dict:
    try:
        config = yaml.load(path.read_text(encoding="utf-8"), Loader=_ConfigLoader) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ImportProblem(name, f"not valid YAML ({getattr(error, 'problem', error)}). "
                                  "Fix the line.", mark.line + 1 if mark else None)
    except (OSError, UnicodeDecodeError) as error:
        raise ImportProblem(name, f"cannot be read ({error}).")
    if not isinstance(config, dict):
        raise ImportProblem(name, "must be 'key: value' lines.", 1)
    return config


def merge(parent: dict, child: dict) -> dict:
    """MkDocs' merge: mappings merged key by key, the child's values win."""
    merged = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass
class SiteConfig:
    data: dict                       # the merged config
    own: dict                        # the source's own mkdocs.yml alone
    parents: list[tuple[str, dict]] = field(default_factory=list)   # (where, config), nearest first
    name: str = "mkdocs.yml"         # the source's config file name

    def inherited(self, key: str) -> str:
        """The parent file a key comes from ("" when the source sets it itself)."""
        if key in self.own:
            return ""
        return next((where for where, config in self.parents if key in config), "")


def read_site(root: Path, area) -> SiteConfig:
    """The source's config merged over the configs it INHERITs."""
    first = config_path(root)
    if first is None:
        raise ImportProblem("mkdocs.yml", "is missing.")
    own = load_config_file(first, first.name)
    site = SiteConfig(data=own, own=own, name=first.name)
    config, base, seen = own, ".", {first.resolve()}
    while config.get("INHERIT"):
        target = str(config["INHERIT"])
        if len(site.parents) >= MAX_INHERIT:
            raise ImportProblem(first.name, f"INHERIT goes more than {MAX_INHERIT} files deep. "
                                            "Shorten the chain.")
        try:
            path, base, _ = area.locate(base, target, up=1, kind="INHERIT")
        except ValueError as refused:
            raise ImportProblem(first.name, f"INHERIT '{target}' {refused}.")
        if path.resolve() in seen:
            raise ImportProblem(first.name, f"INHERIT loops back to '{target}'. Remove the INHERIT "
                                            "line from one of the files.")
        seen.add(path.resolve())
        if not path.is_file():
            raise ImportProblem(first.name, f"INHERITs '{target}', which is not there. Import the "
                                            "folder with the other languages beside it.")
        config = load_config_file(path, target)
        site.parents.append((target, config))
    merged: dict = {}
    for _, parent in reversed(site.parents):
        merged = merge(merged, parent)
    site.data = merge(merged, own)
    site.data.pop("INHERIT", None)
    return site


def _theme_language(config: dict) -> str:
    theme = config.get("theme")
    if isinstance(theme, dict):
        return str(theme.get("language") or theme.get("locale") or "")
    return ""


def site_language(site: SiteConfig, folder: Path) -> str:
    """`theme.language` (`theme.locale` in MkDocs' own themes). A language folder that inherits
    another language folder's config (docs/fr INHERITs ../en/mkdocs.yml, whose language is en)
    is in its own folder's language, as such sites build it."""
    own = _theme_language(site.own)
    language = _theme_language(site.data)
    if own or not site.parents:
        return language
    source = next((where for where, config in site.parents if _theme_language(config)), "")
    parent_folder = Path(source).parent.name
    if (language and _LANGUAGE_FOLDER.match(folder.name) and parent_folder.lower() == language.lower()
            and folder.name.lower() != language.lower()):
        return folder.name
    return language


def site_identity(site: SiteConfig, folder: Path) -> tuple[str, str, str]:
    """(pack id, title, language). A translation that inherits its site's name gets the
    language after it, so it never replaces the original's pack."""
    language = site_language(site, folder)
    title = str(site.data.get("site_name") or folder.name)
    if site.inherited("site_name") and language and language != _theme_language(site.data):
        return f"{slugify(title)}-{slugify(language)}", f"{title} ({language})", language
    return slugify(title), title, language


def extension_options(config: dict, *names: str) -> dict | None:
    """The options of the first of `names` listed in `markdown_extensions` (a list of names and
    one-key mappings, or a mapping), {} when listed without options, None when not listed."""
    extensions = config.get("markdown_extensions") or []
    items: Iterator = iter(extensions.items()) if isinstance(extensions, dict) else (
        next(iter(item.items())) if isinstance(item, dict) and item else (item, None) for item in extensions)
    found = {str(name): options for name, options in items}
    for name in names:
        if name in found:
            return found[name] if isinstance(found[name], dict) else {}
    return None
