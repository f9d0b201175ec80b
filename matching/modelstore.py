"""Fitted match models, one file per version, cached per process.

A model is a ``MatchIndex`` fitted on a snapshot of the active listings, plus the time the
snapshot was read. Its version is a hash of the snapshot and the scoring configuration,
so the same listings always give the same version and the same matches.

Layout under ``settings.MATCH_MODEL_DIR`` (one folder per database, so a test database
never hands its model to the development one)::

    <db>/<version>.pkl        the pickled StoredModel (written atomically)
    <db>/current              the version single-listing matching uses
    <db>/<version>/           work files of a distributed rematch (see services)

Workers on several machines need the folder on shared storage.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import connection

from matching import catalogue
from matching.engine import MatchIndex

log = logging.getLogger(__name__)

# Versions kept besides the current one (a distributed rematch may still be reading one).
KEEP_VERSIONS = 3


@dataclass(frozen=True)
class StoredModel:
    """A fitted index and the moment its listings were read."""

    index: MatchIndex
    snapshot_at: datetime

    @property
    def version(self) -> str:
        return self.index.version


_cache: dict[tuple[str, str], StoredModel] = {}
_lock = threading.Lock()


def database_dir() -> Path:
    """The store folder of the default database."""
    db = connection.settings_dict
    key = "|".join(str(db.get(part) or "") for part in ("ENGINE", "NAME", "HOST", "PORT"))
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]
    return Path(settings.MATCH_MODEL_DIR) / digest


def work_dir(version: str) -> Path:
    """Folder for the work files of one version (created on demand)."""
    path = database_dir() / version
    path.mkdir(parents=True, exist_ok=True)
    return path


def _model_path(version: str) -> Path:
    return database_dir() / f"{version}.pkl"


def _write_atomic(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write ``data`` (bytes, or a function writing to a file) to ``path`` at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(model: StoredModel) -> None:
    """Persist a model under its version and keep it in this process's cache.

    Pickled straight into the file: a national model is hundreds of MB, and a pickle
    held in memory first would add as much to the peak (``match_rematch_full`` saves
    while it scores)."""
    _write_atomic(_model_path(model.version), partial(pickle.dump, model, protocol=5))
    with _lock:
        _cache[(str(database_dir()), model.version)] = model
    prune()


def load(version: str) -> StoredModel:
    """The model of ``version`` (from this process's cache, else from disk)."""
    key = (str(database_dir()), version)
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    with _model_path(version).open("rb") as handle:
        try:
            model = pickle.load(handle)  # noqa: S301 - our own files
        except (ValueError, TypeError, AttributeError, ImportError, KeyError) as exc:
            # Written by other code (the engine's classes changed since): refit instead.
            raise LookupError(f"model file of {version} cannot be read here: {exc}") from None
    if not isinstance(model, StoredModel) or model.version != version:
        raise LookupError(f"model file of {version} holds something else")
    try:
        model.index.attach(catalogue.scoring_knowledge())
    except ValueError as exc:
        raise LookupError(f"model {version}: {exc}") from None
    with _lock:
        # One model per database is enough in memory: a new version replaces the old.
        for other in [k for k in _cache if k[0] == key[0]]:
            del _cache[other]
        _cache[key] = model
    return model


def exists(version: str) -> bool:
    return _model_path(version).is_file()


def current_version() -> str | None:
    """The version single-listing matching uses, or ``None`` before the first fit."""
    try:
        version = (database_dir() / "current").read_text().strip()
    except FileNotFoundError:
        return None
    return version if version and exists(version) else None


def current() -> StoredModel | None:
    version = current_version()
    if version is None:
        return None
    try:
        return load(version)
    except (OSError, LookupError, pickle.UnpicklingError, EOFError):
        log.warning("model %s could not be read; it will be refitted", version)
        return None


def set_current(version: str) -> None:
    """Point single-listing matching at ``version`` (atomic)."""
    if not exists(version):
        raise LookupError(f"no stored model {version}")
    _write_atomic(database_dir() / "current", version.encode())


def prune(keep: int = KEEP_VERSIONS) -> None:
    """Delete all but the ``keep`` newest versions and the current one."""
    folder = database_dir()
    current_file = folder / "current"
    pinned = current_file.read_text().strip() if current_file.is_file() else ""
    files = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in files[keep:]:
        version = path.stem
        if version == pinned:
            continue
        path.unlink(missing_ok=True)
        shutil.rmtree(folder / version, ignore_errors=True)


def clear_cache() -> None:
    """Forget the models held in this process (tests, or to free memory)."""
    with _lock:
        _cache.clear()
