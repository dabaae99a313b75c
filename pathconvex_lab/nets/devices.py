"""Where and in what precision torch computes: the kit's one device decision and its thread setting.

Devices are resolved at call time; nothing here probes a GPU at import.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from ..errors import InputError


def resolve_device(device: Any = "auto", *, dtype: torch.dtype | None = None) -> torch.device:
    """Return a usable :class:`torch.device`, probing availability now (never at import).

    The kit's one device decision: networks, training and the fast convex solver all call it.
    ``"auto"`` picks CUDA, then Apple MPS (unless ``dtype`` is float64, which MPS lacks), then CPU.
    An explicit ``"cuda"``/``"cuda:i"`` or ``"mps"`` that is not available raises InputError
    naming the device.
    """
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            if torch.cuda.is_available():
                return torch.device("cuda")
            mps = getattr(torch.backends, "mps", None)
            if dtype != torch.float64 and mps is not None and mps.is_available():
                return torch.device("mps")
            return torch.device("cpu")
        try:
            dev = torch.device(device)
        except (RuntimeError, ValueError):
            raise InputError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:<i>' or 'mps'; got {device!r}") from None
    else:
        raise InputError(f"device must be a string such as 'auto', 'cpu' or 'cuda', or a torch.device; got {device!r}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"device {device!r} was requested but CUDA is not available here; use 'auto' or 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InputError(f"device {device!r} was requested but MPS is not available here; use 'auto' or 'cpu'")
    elif dev.type != "cpu":
        raise InputError(f"device must be 'auto', 'cpu', 'cuda' or 'mps'; got {device!r}")
    return dev


def as_dtype(dtype: Any, name: str = "dtype") -> torch.dtype:
    """Turn ``torch.float32/float64``, ``"float32"/"float64"`` or a numpy float dtype into a torch dtype."""
    if isinstance(dtype, torch.dtype):
        if dtype in (torch.float32, torch.float64):
            return dtype
    else:
        try:
            np_dtype = np.dtype(dtype)
        except TypeError:
            np_dtype = None
        if np_dtype == np.float32:
            return torch.float32
        if np_dtype == np.float64:
            return torch.float64
    raise InputError(f"{name} must be float32 or float64 (torch dtype, numpy dtype or string); got {dtype!r}")


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the body with ``torch.set_num_threads(threads)`` (``None``: unchanged), then restore.

    The setting is process-wide: small CPU problems run several times faster on one thread on
    a busy machine, and the previous value is always restored.
    """
    if threads is None or threads == torch.get_num_threads():
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


__all__ = ["as_dtype", "resolve_device", "torch_threads"]
