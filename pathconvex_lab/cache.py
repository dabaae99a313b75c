"""The kit's one cache policy: entries keyed by a SHA-256 digest of their inputs (:func:`hash_inputs`),
bounded in memory (:class:`MemoryCache`, least recently used out first) and, for results worth
keeping between sessions, on disk: one ``.npz`` (arrays, ``allow_pickle=False``) plus one
``.json`` (metadata) per entry. Never pickle.

The folder is ``$PATHCONVEX_CACHE`` when set, else ``$XDG_CACHE_HOME/pathconvex_lab`` (default
``~/.cache/pathconvex_lab``). Everything in it can be recomputed: deleting it (or calling
:func:`clear`) loses nothing but time. A damaged, partly written, foreign or edited entry
reads as a miss: every entry carries a SHA-256 checksum of its arrays and metadata, checked on
load. Temporary files left by a writer that was killed are removed by the next save.

>>> key = hash_inputs(np.arange(3.0), name="demo")
>>> save("paths", key, {"x": np.arange(3.0)}, {"note": "demo"})      # doctest: +SKIP
>>> load("paths", key)                                                 # doctest: +SKIP
({'x': array([0., 1., 2.])}, {'note': 'demo'})
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from .errors import InputError

#: Environment variable naming the cache folder.
ENV_VAR = "PATHCONVEX_CACHE"
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
#: Metadata key holding an entry's checksum.
CHECKSUM_KEY = "_sha256"
#: Age in seconds after which a temporary file in the cache is a leftover of a killed writer.
STALE_TMP_SECONDS = 3600.0


def cache_dir() -> Path:
    """The cache root (not created here): ``$PATHCONVEX_CACHE``, else ``$XDG_CACHE_HOME/pathconvex_lab``,
    else ``~/.cache/pathconvex_lab``."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "pathconvex_lab"


def _feed(h: Any, value: Any) -> None:
    """Feed ``value`` (arrays, numbers, strings, None, bools, lists/tuples/dicts of them) into
    the hash ``h`` with type and shape tags, so different inputs cannot collide by concatenation."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.ascontiguousarray(value)
        if arr.dtype == object:
            raise InputError("hash_inputs cannot hash object arrays")
        h.update(f"array:{arr.dtype.str}:{arr.shape}:".encode())
        h.update(arr.tobytes())
    elif isinstance(value, dict):
        h.update(f"dict:{len(value)}:".encode())
        for k in sorted(value, key=str):
            _feed(h, str(k))
            _feed(h, value[k])
    elif isinstance(value, (list, tuple)):
        h.update(f"seq:{len(value)}:".encode())
        for v in value:
            _feed(h, v)
    elif value is None or isinstance(value, (bool, int, float, str)):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    else:
        raise InputError(f"hash_inputs cannot hash a {type(value).__name__}; pass arrays, numbers or strings")


def hash_inputs(*values: Any, **named: Any) -> str:
    """Hex SHA-256 (first 32 characters) of the given values (see :func:`_feed` for what is allowed)."""
    h = hashlib.sha256()
    _feed(h, list(values))
    _feed(h, named)
    return h.hexdigest()[:32]


def _paths(kind: str, key: str) -> tuple[Path, Path]:
    for label, text in (("kind", kind), ("key", key)):
        if not isinstance(text, str) or not _NAME.match(text):
            raise InputError(f"{label} must be a non-empty string of letters, digits, '_', '-', '.'; got {text!r}")
    folder = cache_dir() / kind
    return folder / f"{key}.npz", folder / f"{key}.json"


def _checksum(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> str:
    """SHA-256 of the arrays (names, dtypes, shapes, bytes) and the metadata (canonical JSON)."""
    h = hashlib.sha256()
    _feed(h, {name: np.asarray(arr) for name, arr in arrays.items()})
    h.update(json.dumps(meta, sort_keys=True, allow_nan=True).encode())
    return h.hexdigest()


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete ``.tmp-*`` files older than :data:`STALE_TMP_SECONDS` (left by a killed writer)."""
    now = time.time()
    for tmp in folder.glob(".tmp-*"):
        try:
            if now - tmp.stat().st_mtime > STALE_TMP_SECONDS:
                tmp.unlink()
        except OSError:
            pass


def save(kind: str, key: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path | None:
    """Write ``arrays`` (numeric/bool numpy arrays) and ``meta`` (a JSON-serializable dict) under
    ``<cache>/<kind>/<key>``, with a checksum of both. Files are written to temporaries and
    renamed, so readers never see a partial entry. Returns the ``.npz`` path, or None when the
    folder is not writable (the cache is an optimisation: failing to write it is not an error)."""
    npz, js = _paths(kind, key)
    if not isinstance(meta, dict) or CHECKSUM_KEY in meta:
        raise InputError(f"meta must be a dict without the key {CHECKSUM_KEY!r}; got {type(meta).__name__}")
    clean = {}
    for name, arr in arrays.items():
        arr = np.asarray(arr)
        if arr.dtype == object:
            raise InputError(f"cache arrays must be numeric or bool (no pickling); {name!r} has dtype object")
        clean[name] = arr
    text = json.dumps({**meta, CHECKSUM_KEY: _checksum(clean, meta)}, allow_nan=True)
    try:
        npz.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(npz.parent)
        for target, write in ((npz, lambda f: np.savez(f, **clean)), (js, lambda f: f.write(text.encode()))):
            fd, tmp = tempfile.mkstemp(dir=npz.parent, prefix=".tmp-", suffix=target.suffix)
            try:
                with os.fdopen(fd, "wb") as handle:
                    write(handle)
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
    except OSError:
        return None
    return npz


def load(kind: str, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The ``(arrays, meta)`` saved under ``kind``/``key``, or None: missing, unreadable
    (truncated, not a zip, not JSON), metadata that is not a dict, or a checksum that does not
    match (an edited or foreign entry)."""
    npz, js = _paths(kind, key)
    try:
        meta = json.loads(js.read_text())
        with np.load(npz, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    if not isinstance(meta, dict):
        return None
    stored = meta.pop(CHECKSUM_KEY, None)
    if stored != _checksum(arrays, meta):
        return None
    return arrays, meta


V = TypeVar("V")


class MemoryCache(Generic[V]):
    """Values by digest key (:func:`hash_inputs`), held in memory within a bound: at most
    ``max_entries`` values and at most ``max_bytes`` bytes as measured by ``size`` (each ``None``:
    no bound of that kind); the least recently used go first. Clearing it loses nothing but time."""

    def __init__(self, *, max_entries: int | None = None, max_bytes: int | None = None,
                 size: Callable[[V], int] = lambda value: 0):
        if max_entries is None and max_bytes is None:
            raise InputError("a MemoryCache needs max_entries or max_bytes: an unbounded cache is not allowed")
        self.max_entries, self.max_bytes, self._size = max_entries, max_bytes, size
        self._values: OrderedDict[str, V] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._values)

    @property
    def nbytes(self) -> int:
        """Bytes held, as measured by ``size``."""
        return self._bytes

    def get(self, key: str) -> V | None:
        """The value stored under ``key`` (now the most recently used), or None."""
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: str, value: V) -> None:
        """Store ``value`` under ``key``, then drop the least recently used values beyond the bounds."""
        previous = self._values.pop(key, None)
        self._bytes += self._size(value) - (0 if previous is None else self._size(previous))
        self._values[key] = value
        while self._values and ((self.max_entries is not None and len(self._values) > self.max_entries)
                                or (self.max_bytes is not None and self._bytes > self.max_bytes)):
            self._bytes -= self._size(self._values.popitem(last=False)[1])

    def clear(self) -> None:
        """Forget every value."""
        self._values.clear()
        self._bytes = 0


def clear(kind: str | None = None) -> None:
    """Delete the cache folder of ``kind`` (or the whole cache). Safe: entries are recomputed on demand."""
    target = cache_dir() if kind is None else _paths(kind, "x")[0].parent
    shutil.rmtree(target, ignore_errors=True)


__all__ = ["cache_dir", "hash_inputs", "save", "load", "clear", "MemoryCache", "ENV_VAR", "CHECKSUM_KEY"]
