"""The plain-data wire between a submission's sandbox and the referee that scores it.

A submission runs in a sandbox (:mod:`.runner`); the hidden tests run in the referee
(:mod:`.referee`), a process the submission's code never touches. The referee asks for the
values of names (``get``) and calls the submission's functions (``call``); the sandbox answers
with plain data only: JSON of numbers, strings, booleans, lists and dicts, and numeric arrays
as base64 bytes with their dtype and shape. Nothing is ever unpickled, so a submission can lie
about its answers (as plain data) but cannot run code in the referee or forge a score.

Values that are not plain data travel as references: a function becomes a
:class:`RemoteFunction` (calling it is a ``call`` request), any other object a
:class:`RemoteObject` with its type name. A few types of the kit are rebuilt from their data:
a :class:`~pathconvex_lab.nets.ParallelReLUNet` from its weights, a convex result as a
:class:`RemoteResult` holding its network, a cvxpy problem as a :class:`SolvedProblem` (solved
in the sandbox when it is sent) and a cvxpy variable as a :class:`SolvedVariable` (its value).

Kernel side: :func:`serve` (called by a cell the runner adds after the submission's cells).
Referee side: :func:`decode` and :class:`RemoteNamespace`.
"""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any, Callable

import numpy as np

#: Mimetype of the display output that carries one reply out of the kernel.
MIME = "application/vnd.pathconvex.answer+json"
#: Largest array sent over the wire, in bytes; a larger one travels as an opaque reference.
MAX_ARRAY_BYTES = 64 * 2**20
#: Largest reply accepted by the referee, in bytes of JSON.
MAX_REPLY_BYTES = 4 * MAX_ARRAY_BYTES
#: Deepest nesting of lists, tuples and dicts that is sent as data.
MAX_DEPTH = 16
#: Longest string sent (longer ones are cut, with a note).
MAX_STRING = 100_000
#: Array dtypes that travel as data: booleans, integers and floats, never objects.
_DTYPE_KINDS = "biuf"

# =========================================================================== kernel side (untrusted)

_HANDLES: dict[int, Any] = {}


def _handle(value: Any) -> int:
    """A reference number for ``value``, kept alive in this kernel until it exits."""
    ref = len(_HANDLES) + 1
    _HANDLES[ref] = value
    return ref


def _type_name(value: Any) -> str:
    return type(value).__name__


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready plain data (see the module docstring for the forms)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if value is Ellipsis:
        return {"t": "ellipsis"}
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else value[:MAX_STRING] + " [cut]"
    if isinstance(value, (int, np.integer)):
        return int(value) if abs(int(value)) < 2**53 else {"t": "int", "v": str(int(value))}
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else {"t": "float", "v": repr(float(value))}
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    module = type(value).__module__ or ""
    if module.startswith("torch") and hasattr(value, "detach"):
        return _encode_array(value.detach().cpu().numpy())
    if isinstance(value, (list, tuple)) and depth < MAX_DEPTH:
        return {"t": "list" if isinstance(value, list) else "tuple", "v": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict) and depth < MAX_DEPTH and all(isinstance(k, str) for k in value):
        return {"t": "dict", "v": {k: encode(v, depth + 1) for k, v in value.items()}}
    return _encode_object(value)


def _encode_array(arr: np.ndarray) -> Any:
    if arr.dtype.kind not in _DTYPE_KINDS or arr.nbytes > MAX_ARRAY_BYTES:
        return {"t": "object", "ref": _handle(arr), "type": f"ndarray[{arr.dtype}] of shape {arr.shape}"}
    data = np.ascontiguousarray(arr)
    return {"t": "ndarray", "dtype": data.dtype.str, "shape": list(data.shape),
            "data": base64.b64encode(data.tobytes()).decode("ascii")}


def _encode_object(value: Any) -> dict[str, Any]:
    """Objects of the kit and of cvxpy by their data; functions and anything else by reference."""
    kind = _type_name(value)
    module = type(value).__module__ or ""
    if kind == "ParallelReLUNet" and module.startswith("pathconvex_lab"):
        arrays = value.to_numpy()
        return {"t": "ParallelReLUNet", "ref": _handle(value), "layers": [encode(a) for a in arrays["layers"]],
                "out": encode(arrays["out"]), "biases": [encode(b) for b in arrays["biases"]]}
    if module.startswith("pathconvex_lab") and callable(getattr(value, "network", None)):
        return {"t": "result", "ref": _handle(value), "type": kind, "network": encode(value.network())}
    if module.startswith("cvxpy") and kind == "Problem":
        return _encode_problem(value)
    if module.startswith("cvxpy") and kind == "Variable":
        return {"t": "cvxpy.Variable", "ref": _handle(value), "shape": list(value.shape), "value": encode(value.value)}
    if callable(value) and not isinstance(value, type):
        return {"t": "function", "ref": _handle(value), "name": str(getattr(value, "__name__", kind))[:80]}
    return {"t": "object", "ref": _handle(value), "type": kind[:80]}


def _encode_problem(problem: Any) -> dict[str, Any]:
    """A cvxpy problem, solved here (the referee cannot solve an object it only knows by reference)."""
    out: dict[str, Any] = {"t": "cvxpy.Problem", "ref": _handle(problem), "is_dcp": bool(problem.is_dcp()),
                           "status": None, "value": None, "error": None}
    if out["is_dcp"]:
        try:
            problem.solve()
            out["status"], out["value"] = str(problem.status), encode(problem.value)
        except Exception as exc:  # noqa: BLE001 - a failed solve is the student's feedback
            out["error"] = f"{type(exc).__name__}: {exc}"[:500]
    return out


def serve(namespace: dict[str, Any], request: str) -> None:
    """Answer one request of the referee (JSON text) against ``namespace`` (the notebook's globals),
    as a display output of mimetype :data:`MIME`: ``{"reply": ...}``."""
    from IPython.display import display

    display({MIME: {"reply": answer(namespace, json.loads(request))}}, raw=True)


def answer(namespace: dict[str, Any], request: dict[str, Any]) -> Any:
    """The encoded reply to ``{"op": "get", "name"}`` or ``{"op": "call", "ref", "args", "kwargs"}``."""
    try:
        if request["op"] == "get":
            name = request["name"]
            return encode(namespace[name]) if name in namespace else {"t": "undefined"}
        if request["op"] == "call":
            func = _HANDLES[int(request["ref"])]
            args = [decode(a, None) for a in request["args"]]
            kwargs = {k: decode(v, None) for k, v in request["kwargs"].items()}
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - the student's exception is the answer
                return {"t": "raised", "type": _type_name(exc)[:80], "message": str(exc)[:2000]}
            return encode(result)
        return {"t": "raised", "type": "ValueError", "message": f"unknown request {request['op']!r}"}
    except Exception as exc:  # noqa: BLE001 - an answer that cannot be encoded is an opaque failure
        return {"t": "raised", "type": "EncodingError", "message": f"{type(exc).__name__}: {exc}"[:2000]}


# =========================================================================== referee side (trusted)


class WireError(ValueError):
    """A reply from the sandbox that is not well-formed plain data."""


class RemoteObject:
    """An object that stayed in the sandbox; only its type name is known here."""

    def __init__(self, remote: "Remote | None", ref: int) -> None:
        self._remote, self._ref = remote, ref

    def __repr__(self) -> str:
        return f"<{type(self).__name__} in the submission>"


class RemoteFunction(RemoteObject):
    """A function of the submission: calling it runs it in the sandbox, arguments sent as data."""

    def __init__(self, remote: "Remote | None", ref: int, name: str) -> None:
        super().__init__(remote, ref)
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._remote is None:
            raise WireError("this function's sandbox is closed")
        return self._remote.call(self._ref, args, kwargs)


class RemoteResult(RemoteObject):
    """A result object of the kit (e.g. a ConvexResult) known by the network it returns."""

    def __init__(self, remote: "Remote | None", ref: int, network: Any) -> None:
        super().__init__(remote, ref)
        self._network = network

    def network(self) -> Any:
        return self._network


class SolvedProblem(RemoteObject):
    """A cvxpy problem of the submission, solved in the sandbox when it was sent."""

    def __init__(self, remote: "Remote | None", ref: int, is_dcp: bool, status: str | None, value: Any,
                 error: str | None) -> None:
        super().__init__(remote, ref)
        self._is_dcp, self.status, self.value, self._error = is_dcp, status, value, error

    def is_dcp(self) -> bool:
        return self._is_dcp

    def solve(self, *args: Any, **kwargs: Any) -> Any:
        """The value found in the sandbox (raises the sandbox's solver error, if any)."""
        if self._error:
            raise RuntimeError(self._error)
        return self.value


class SolvedVariable(RemoteObject):
    """A cvxpy variable of the submission: its shape and its value when it was sent."""

    def __init__(self, remote: "Remote | None", ref: int, shape: tuple[int, ...], value: Any) -> None:
        super().__init__(remote, ref)
        self.shape, self.value = shape, value


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")


def _remote_class(type_name: str) -> type:
    """A subclass of RemoteObject named like the submission's type (so messages name it)."""
    name = type_name if _NAME.fullmatch(type_name) else "object"
    return type(name, (RemoteObject,), {})


def _decode_array(obj: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(str(obj["dtype"]))
    if dtype.kind not in _DTYPE_KINDS:
        raise WireError(f"array of dtype {dtype} on the wire")
    shape = tuple(int(s) for s in obj["shape"])
    if any(s < 0 for s in shape):
        raise WireError(f"array of shape {shape} on the wire")
    data = base64.b64decode(obj["data"], validate=True)
    if len(data) != dtype.itemsize * math.prod(shape):
        raise WireError(f"array of shape {shape} with {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _decode_net(obj: dict[str, Any], remote: "Remote | None") -> Any:
    from ..nets import ParallelReLUNet

    biases = [decode(b, remote) for b in obj["biases"]]
    net = ParallelReLUNet.from_weights([decode(a, remote) for a in obj["layers"]], decode(obj["out"], remote),
                                       biases=biases or None)
    if remote is not None:
        remote.refs[id(net)] = (net, int(obj["ref"]))
    return net


def decode(obj: Any, remote: "Remote | None", depth: int = 0) -> Any:
    """Plain data from the wire back into Python values (never runs code, never unpickles).

    ``remote`` is the referee's :class:`Remote` (references become proxies that call through it),
    or None in the kernel, where ``{"t": "ref"}`` stands for an object of this kernel. Raises WireError (or ValueError/KeyError/TypeError) on anything malformed.
    """
    if depth > MAX_DEPTH + 4:
        raise WireError("nesting too deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):  # only inside dict payloads below; a bare list is not a form we send
        raise WireError("bare list on the wire")
    if not isinstance(obj, dict):
        raise WireError(f"unexpected {type(obj).__name__} on the wire")
    kind = obj.get("t")
    if kind == "ellipsis":
        return Ellipsis
    if kind == "int":
        return int(str(obj["v"]))
    if kind == "float":
        value = float(str(obj["v"]))
        if math.isfinite(value):
            raise WireError("a finite float sent in the non-finite form")
        return value
    if kind == "ndarray":
        return _decode_array(obj)
    if kind in ("list", "tuple"):
        items = [decode(v, remote, depth + 1) for v in obj["v"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {str(k): decode(v, remote, depth + 1) for k, v in obj["v"].items()}
    ref = int(obj.get("ref", 0))
    if kind == "ref":  # an object sent back to the kernel it came from
        if remote is not None:
            raise WireError("a reference sent to the referee")
        return _HANDLES[ref]
    if kind == "ParallelReLUNet":
        return _decode_net(obj, remote)
    if kind == "result":
        return RemoteResult(remote, ref, decode(obj["network"], remote, depth + 1))
    if kind == "cvxpy.Problem":
        return SolvedProblem(remote, ref, bool(obj["is_dcp"]), None if obj["status"] is None else str(obj["status"]),
                             decode(obj["value"], remote, depth + 1),
                             None if obj["error"] is None else str(obj["error"]))
    if kind == "cvxpy.Variable":
        return SolvedVariable(remote, ref, tuple(int(s) for s in obj["shape"]), decode(obj["value"], remote, depth + 1))
    if kind == "function":
        return RemoteFunction(remote, ref, str(obj.get("name", "function"))[:80])
    if kind == "object":
        return _remote_class(str(obj.get("type", "object")))(remote, ref)
    raise WireError(f"unknown form {kind!r} on the wire")


class RemoteRaised(Exception):
    """Base of the exceptions that a submission's function raised in the sandbox (named like them)."""


def _raised(obj: dict[str, Any]) -> BaseException:
    type_name = str(obj.get("type", "Exception"))
    if type_name == "NotImplementedError":
        return NotImplementedError(str(obj.get("message", "")))
    name = type_name if _NAME.fullmatch(type_name) else "Exception"
    return type(name, (RemoteRaised,), {})(str(obj.get("message", "")))


class Remote:
    """The referee's end of the wire: ``ask(request) -> reply`` is given by the runner's transport."""

    def __init__(self, ask: Callable[[dict[str, Any]], Any]) -> None:
        self._ask = ask
        self.refs: dict[int, tuple[Any, int]] = {}  # id(decoded object) -> (object, its reference)

    def _encode_arg(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, RemoteObject):
            return {"t": "ref", "ref": value._ref}
        if id(value) in self.refs and self.refs[id(value)][0] is value:
            return {"t": "ref", "ref": self.refs[id(value)][1]}
        if isinstance(value, (list, tuple)) and depth < MAX_DEPTH:
            return {"t": "list" if isinstance(value, list) else "tuple",
                    "v": [self._encode_arg(v, depth + 1) for v in value]}
        if isinstance(value, dict) and depth < MAX_DEPTH:
            return {"t": "dict", "v": {str(k): self._encode_arg(v, depth + 1) for k, v in value.items()}}
        encoded = encode(value, depth)
        if isinstance(encoded, dict) and "ref" in encoded:
            raise WireError(f"cannot send a {type(value).__name__} to the submission")
        return encoded

    def get(self, name: str) -> Any:
        """The submission's value of ``name``; KeyError when it is not defined."""
        reply = self._ask({"op": "get", "name": name})
        if isinstance(reply, dict) and reply.get("t") == "undefined":
            raise KeyError(name)
        if isinstance(reply, dict) and reply.get("t") == "raised":
            raise KeyError(name)
        return decode(reply, self)

    def call(self, ref: int, args: tuple, kwargs: dict[str, Any]) -> Any:
        """Call the submission's function ``ref``; its exception is raised here under its name."""
        reply = self._ask({"op": "call", "ref": ref, "args": [self._encode_arg(a) for a in args],
                           "kwargs": {str(k): self._encode_arg(v) for k, v in kwargs.items()}})
        if isinstance(reply, dict) and reply.get("t") == "raised":
            raise _raised(reply)
        return decode(reply, self)


class RemoteNamespace(dict):
    """The submission's globals as otter's test files see them: ``get(name)`` fetches on first use.

    A name that is undefined, or whose value cannot be decoded, reads as ``None`` (the checks say
    "not defined"); why it could not be decoded is kept in :attr:`problems`.
    """

    def __init__(self, remote: Remote) -> None:
        super().__init__()
        self._remote = remote
        self.problems: dict[str, str] = {}

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        if name not in self:
            try:
                self[name] = self._remote.get(name)
            except KeyError:
                return default
            except Exception as exc:  # noqa: BLE001 - malformed data from the sandbox reads as missing
                self.problems[name] = f"{type(exc).__name__}: {exc}"[:300]
                return default
        return super().get(name, default)
