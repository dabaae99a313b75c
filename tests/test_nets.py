"""Tests of pathconvex_lab.nets against independent computations (docs/mathematics.md §3.3, §4.1-§4.2)."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pathconvex_lab.data import ds1
from pathconvex_lab.errors import InputError
from pathconvex_lab.nets import ParallelReLUNet, batched_matmul, batched_path_norms, network_objective, path_norm
from reference_values import PATH_NORM_TEST_VECTOR_SQUARED


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# docs/mathematics.md §4.2 test vector (last hidden width 3, output weights W3)
W1_T = np.array([[1.0, -2.0], [0.5, 1.0]])
W2_T = np.array([[1.0, 0.0, 2.0], [-1.0, 3.0, 0.5]])
W3_T = np.array([2.0, -1.0, 0.5])


def brute_force_path_norm(hidden: list[np.ndarray], w_out: np.ndarray, biases: list[np.ndarray] | None) -> float:
    """sqrt of the sum over every input-to-output path (and every bias-to-output path) of the
    product of squared weights, by explicit enumeration."""
    widths = [hidden[0].shape[0]] + [W.shape[1] for W in hidden]
    total = 0.0
    starts = [0] + (list(range(1, len(widths))) if biases is not None else [])
    for s in starts:
        for idx in itertools.product(*(range(m) for m in widths[s:])):
            # idx[0] is an input (s = 0) or a neuron of layer s fed by its bias
            prod = 1.0 if s == 0 else biases[s - 1][idx[0]] ** 2
            for step, (a, b) in enumerate(zip(idx[:-1], idx[1:])):
                prod *= hidden[s + step][a, b] ** 2
            total += prod * w_out[idx[-1]] ** 2
    return float(np.sqrt(total))


def per_subnet_forward(net: ParallelReLUNet, X: np.ndarray) -> np.ndarray:
    """Loop over sub-networks, one plain matrix product at a time: (n, K) contributions."""
    arrays = net.to_numpy()
    cols = []
    for k in range(net.num_subnets):
        h = X
        for i, W in enumerate(arrays["layers"]):
            h = h @ W[k] + (arrays["biases"][i][k] if net.hidden_bias else 0.0)
            h = np.maximum(h, 0.0)
        cols.append(h[:, 0] * arrays["out"][k])
    return np.stack(cols, axis=1)


net_shapes = st.tuples(
    st.lists(st.integers(1, 3), min_size=1, max_size=4),  # hidden widths before the final 1
    st.integers(1, 4),  # d
    st.integers(1, 3),  # K
    st.booleans(),  # hidden bias
    st.integers(0, 2**16),  # seed
)


def make_net(shape) -> ParallelReLUNet:
    hidden, d, K, bias, seed = shape
    net = ParallelReLUNet((d, *hidden[:-1], 1), K, hidden_bias=bias, seed=seed)
    if bias:  # biases start at zero; give them values so they matter
        gen = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for b in net.biases:
                b.copy_(torch.randn(b.shape, generator=gen, dtype=torch.float64))
    return net


def test_math_test_vector():
    assert path_norm([W1_T, W2_T, W3_T]) ** 2 == pytest.approx(PATH_NORM_TEST_VECTOR_SQUARED, rel=1e-14)
    brute_force = brute_force_path_norm([W1_T, W2_T], W3_T, None)
    assert brute_force ** 2 == pytest.approx(PATH_NORM_TEST_VECTOR_SQUARED, rel=1e-14)
    # same sub-network inside the module: W3 becomes a hidden layer (3, 1) followed by out = 1
    net = ParallelReLUNet.from_weights([W1_T[None], W2_T[None], W3_T[None, :, None]], np.array([1.0]))
    assert net.path_norm().item() ** 2 == pytest.approx(PATH_NORM_TEST_VECTOR_SQUARED, rel=1e-14)


@settings(max_examples=40, deadline=None)
@given(net_shapes)
def test_path_norm_matches_brute_force(shape):
    net = make_net(shape)
    arrays = net.to_numpy()
    got = net.path_norms().detach().numpy()
    for k in range(net.num_subnets):
        hidden = [W[k] for W in arrays["layers"]]
        biases = [b[k, 0] for b in arrays["biases"]] if net.hidden_bias else None
        expected = brute_force_path_norm(hidden, np.atleast_1d(arrays["out"][k]), biases)
        assert got[k] == pytest.approx(expected, rel=1e-10)
        assert path_norm(hidden + [arrays["out"][k]], biases) == pytest.approx(expected, rel=1e-10)


@settings(max_examples=30, deadline=None)
@given(net_shapes, st.integers(1, 7))
def test_batched_forward_equals_per_subnet_loop(shape, n):
    net = make_net(shape)
    X = np.random.default_rng(shape[-1]).standard_normal((n, net.widths[0]))
    loop = per_subnet_forward(net, X)
    np.testing.assert_allclose(net.subnet_outputs(X).detach().numpy(), loop, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(net.predict(X), loop.sum(axis=1), rtol=1e-12, atol=1e-12)
    y = np.random.default_rng(1).standard_normal(n)
    for reg in ("path", "weight_decay"):
        assert net.objective(X, y, 0.3, reg).item() == pytest.approx(network_objective(net, X, y, 0.3, reg), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(net_shapes, st.floats(0.1, 10.0), st.data())
def test_invariant_to_positive_neuron_rescaling(shape, c, data):
    """Scale a hidden neuron's incoming weights (and bias) by c > 0 and its outgoing weights by
    1/c: the function and every path norm are unchanged (docs/mathematics.md §4.2 properties)."""
    net = make_net(shape)
    layer = data.draw(st.integers(0, len(net.layers) - 1))
    j = data.draw(st.integers(0, net.widths[layer + 1] - 1))
    X = np.random.default_rng(0).standard_normal((5, net.widths[0]))
    before_f, before_R = net.predict(X), net.path_norms().detach().numpy()
    with torch.no_grad():
        net.layers[layer][:, :, j] *= c
        if net.hidden_bias:
            net.biases[layer][:, :, j] *= c
        if layer + 1 < len(net.layers):
            net.layers[layer + 1][:, j, :] /= c
        else:
            net.out /= c
    np.testing.assert_allclose(net.predict(X), before_f, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(net.path_norms().detach().numpy(), before_R, rtol=1e-11, atol=1e-14)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(2, 6), st.integers(0, 1000))
def test_splitting_a_neuron_lowers_path_norm_by_sqrt_c(d, c, seed):
    """docs/mathematics.md §3.3: replacing the only first-layer neuron v by c copies v/c keeps f and divides R by sqrt(c)."""
    net = ParallelReLUNet((d, 1, 1), 2, seed=seed)
    arrays = net.to_numpy()
    split = ParallelReLUNet.from_weights(
        [np.repeat(arrays["layers"][0] / c, c, axis=2), np.repeat(arrays["layers"][1], c, axis=1)], arrays["out"]
    )
    X = np.random.default_rng(seed).standard_normal((6, d))
    np.testing.assert_allclose(split.predict(X), net.predict(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        split.path_norms().detach().numpy(), net.path_norms().detach().numpy() / np.sqrt(c), rtol=1e-12
    )


def test_weight_decay_equals_path_norm_on_balanced_two_layer_net():
    """For a two-layer net with |out_k| = ||w_k||, 0.5 (||w_k||^2 + out_k^2) = |out_k| ||w_k|| = R_k (AM-GM)."""
    net = ParallelReLUNet((3, 1), 5, seed=3)
    with torch.no_grad():
        norms = net.layers[0].norm(dim=(1, 2))
        net.out.copy_(torch.sign(net.out) * norms)
    assert net.weight_decay().item() == pytest.approx(net.path_norm().item(), rel=1e-12)
    # unbalanced: strictly larger
    with torch.no_grad():
        net.out.mul_(3.0)
    assert net.weight_decay().item() > net.path_norm().item()


def test_gradient_of_path_norm_matches_finite_differences_and_is_zero_safe():
    net = ParallelReLUNet((2, 3, 2, 1), 3, seed=5)
    params = [W.detach().clone().requires_grad_(True) for W in net.layers] + [net.out.detach().clone().requires_grad_(True)]

    def R(*ps):
        return batched_path_norms(ps[:-1], ps[-1]).sum()

    assert torch.autograd.gradcheck(R, tuple(params))
    # a dead sub-network (all-zero weights) gets a zero, finite gradient
    with torch.no_grad():
        net.out[0] = 0.0
        net.layers[0][0] = 0.0
    net.path_norm().backward()
    for p in net.parameters():
        assert torch.isfinite(p.grad).all()
    assert float(net.out.grad[0]) == 0.0


def test_prune_removes_dead_subnets_and_keeps_function():
    X, y = ds1()
    net = ParallelReLUNet((2, 3, 1), 6, seed=2)
    with torch.no_grad():
        net.out[[1, 4]] = 0.0
    pruned = net.prune()
    assert pruned.num_subnets == 4
    np.testing.assert_allclose(pruned.predict(X), net.predict(X), rtol=1e-13, atol=1e-14)
    assert pruned.path_norm().item() == pytest.approx(net.path_norm().item(), rel=1e-13)
    norms = net.path_norms().detach().numpy()
    tol = float(np.sort(norms)[-2])  # keeps only the largest
    assert net.prune(tol).num_subnets == 1
    empty = net.prune(float(norms.max()))
    assert empty.num_subnets == 0 and np.all(empty.predict(X) == 0.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("bias", [False, True])
def test_save_load_round_trip(tmp_path, dtype, bias):
    net = make_net(([2, 3, 1], 3, 4, bias, 7))
    net = net.to(dtype)
    path = tmp_path / "net.weights"
    net.save(path)
    assert path.exists()  # exact name, no suffix appended
    loaded = ParallelReLUNet.load(path)
    X = np.random.default_rng(0).standard_normal((9, 3))
    assert loaded.dtype == dtype and loaded.widths == net.widths and loaded.hidden_bias == bias
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


class _Payload:
    def __init__(self, sentinel: str):
        self.sentinel = sentinel

    def __reduce__(self):
        return (exec, (f"open({self.sentinel!r}, 'w').write('pwned')",))


def test_load_never_unpickles(tmp_path):
    sentinel = tmp_path / "executed.txt"
    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickle.dumps(_Payload(str(sentinel))))
    with pytest.raises(InputError, match="pickle-free"):
        ParallelReLUNet.load(evil)
    assert not sentinel.exists()
    # an npz archive whose arrays are pickled objects is rejected too
    obj = tmp_path / "object.npz"
    np.savez(obj, meta=np.array([_Payload(str(sentinel))], dtype=object), out=np.zeros(1))
    with pytest.raises(InputError):
        ParallelReLUNet.load(obj)
    assert not sentinel.exists()
    # a torch.save file (zip + pickle) is not a network file
    pt = tmp_path / "model.pt"
    torch.save({"x": _Payload(str(sentinel))}, pt)
    with pytest.raises(InputError):
        ParallelReLUNet.load(pt)
    assert not sentinel.exists()
    with pytest.raises(InputError, match="not found"):
        ParallelReLUNet.load(tmp_path / "missing.npz")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"widths": (3,), "num_subnets": 2}, "depth"),
        ({"widths": (3, 2), "num_subnets": 2}, r"widths\[-1\] must be 1"),
        ({"widths": (3, 0, 1), "num_subnets": 2}, r"widths\[1\]"),
        ({"widths": (3, 1), "num_subnets": -1}, "num_subnets"),
        ({"widths": (3, 1), "num_subnets": 2, "dtype": "int32"}, "dtype"),
        ({"widths": (3, 1), "num_subnets": 2, "init_scale": 0.0}, "init_scale"),
    ],
)
def test_constructor_validation(kwargs, match):
    with pytest.raises(InputError, match=match):
        ParallelReLUNet(**kwargs)


def test_input_validation():
    X, y = ds1()
    net = ParallelReLUNet((2, 2, 1), 3)
    with pytest.raises(InputError, match="X must have shape"):
        net.predict(np.ones((4, 3)))
    bad = X.copy()
    bad[2, 0] = np.nan
    with pytest.raises(InputError, match="X must be finite"):
        net.objective(bad, y, 0.1)
    with pytest.raises(InputError, match="beta"):
        net.objective(X, y, 0.0)
    with pytest.raises(InputError, match="beta"):
        network_objective(net, X, y, -1.0)
    with pytest.raises(InputError, match="regularizer"):
        net.objective(X, y, 0.1, "l1")
    with pytest.raises(InputError, match="y must have"):
        net.objective(X, y[:4], 0.1)
    with pytest.raises(InputError, match="layers"):
        ParallelReLUNet.from_weights([np.ones((2, 2, 3)), np.ones((3, 3, 1))], np.ones(2))
    with pytest.raises(InputError, match="weights"):
        path_norm([np.ones((2, 2))])
    with pytest.raises(InputError, match="output weights"):
        path_norm([np.ones((2, 2)), np.ones(3)])


def test_repr_and_properties():
    net = ParallelReLUNet((2, 4, 3, 1), 20, dtype="float32")
    text = repr(net)
    for key in ("depth=4", "widths=(2, 4, 3, 1)", "K=20", "active=20", "path_norm=", "float32"):
        assert key in text
    assert net.depth == 4 and net.num_subnets == 20 and net.dtype == torch.float32
    assert net.device.type == "cpu"


def test_seeded_initialization_is_reproducible_and_seed_dependent():
    a, b, c = (ParallelReLUNet((3, 2, 1), 4, seed=s) for s in (1, 1, 2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.layers[0], c.layers[0])


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("n", [7, 10, 12])
def test_chunked_weight_gradient_matches_plain_bmm(shared, n):
    """The CUDA code path (row-chunked weight gradient) checked on CPU with tiny chunks,
    including a remainder (n = 7, 10 with chunk 3) and an input shared by all sub-networks."""
    gen = torch.Generator().manual_seed(n)
    K, m, p = 3, 4, 2
    if shared:
        h = torch.randn(n, m, generator=gen, dtype=torch.float64, requires_grad=True)
        H = h.expand(K, -1, -1)
    else:
        h = torch.randn(K, n, m, generator=gen, dtype=torch.float64, requires_grad=True)
        H = h
    W = torch.randn(K, m, p, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: batched_matmul(a.expand(K, -1, -1) if shared else a, b, chunk=3),
                                    (h, W))
    g = torch.randn(K, n, p, generator=gen, dtype=torch.float64)
    chunked = torch.autograd.grad((batched_matmul(H, W, chunk=3) * g).sum(), (h, W))
    plain = torch.autograd.grad((torch.bmm(H, W) * g).sum(), (h, W))
    for a, b in zip(chunked, plain):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.gpu
def test_cuda_forward_and_gradients_match_cpu_at_large_n():
    """On CUDA with n >= 2 * GRAD_CHUNK_ROWS the chunked weight gradient is used: it must agree with CPU."""
    X = np.random.default_rng(0).standard_normal((20_000, 3))
    y = np.random.default_rng(1).standard_normal(20_000)
    grads = []
    for device in ("cpu", "cuda"):
        net = ParallelReLUNet((3, 5, 4, 1), 6, hidden_bias=True, seed=4, device=device)
        net.objective(X, y, 0.1).backward()
        grads.append([p.grad.cpu() for p in net.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)
