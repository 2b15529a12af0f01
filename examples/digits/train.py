#!/usr/bin/env python3
"""Train a small MLP on scikit-learn's digits and quantize it to the
`ignis-mlp-i8` integer format.

Outputs (written next to this script):
  model.safetensors          int8 weights, int32 biases, int32 [M, s] requant
  test_inputs.npy            int8  [n_test, 64]  quantized test inputs
  test_labels.npy            uint8 [n_test]      true labels
  expected_logits.npy        int32 [n_test, 10]  exact integer logits (spec below)
  expected_predictions.npy   uint8 [n_test]      argmax, lowest index on ties
  accuracy.json              float / quantized accuracy and their agreement

The integer reference (`mlp_i8`) is the spec the Rust/CUDA kernels implement:
  acc[b][j] = bias[j] + sum_i x[b][i] * W[j][i]                (exact, int64 here)
  hidden:   y = clamp((acc * M + 2^(s-1)) >> s, 0, 127)  as int8 (>> = floor)
  last:     logits = acc (int32); prediction = argmax, lowest index on ties
"""

import os

# Single-threaded BLAS so that the float training is bit-reproducible.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import math  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0
HIDDEN = (64,)
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


# --------------------------------------------------------------------------
# Quantization helpers
# --------------------------------------------------------------------------
def quantize_inputs(x_raw):
    """Digits features are integers 0..16. x_q = round_half_up(x * 127 / 16),
    computed exactly in integers as (x * 127 + 8) // 16, so x_q is 0..127 and
    the input scale is 16/127 (raw units per step)."""
    xi = np.asarray(x_raw).astype(np.int64)
    assert xi.min() >= 0 and xi.max() <= 16
    return ((xi * 127 + 8) // 16).astype(np.int8)


def choose_requant(m):
    """Return (M, s) with M = round(m * 2^s), M in [2^30, 2^31 - 1] when
    possible, 1 <= s <= 62."""
    assert m > 0.0
    frac, exp = math.frexp(m)  # m = frac * 2^exp, frac in [0.5, 1)
    s = 31 - exp
    M = int(round(frac * 2**31))  # in [2^30, 2^31]
    if M == 2**31:
        M //= 2
        s -= 1
    if s > 62:  # very small multiplier: give up precision, keep s legal
        s = 62
        M = int(round(m * 2**62))
    if s < 1:
        raise ValueError(f"requant multiplier {m} too large for the spec")
    assert 1 <= M <= 2**31 - 1, (m, M, s)
    assert 1 <= s <= 62, (m, M, s)
    return M, s


# --------------------------------------------------------------------------
# Exact integer reference
# --------------------------------------------------------------------------
def mlp_i8(x_q, tensors, stats=None):
    """Exact ignis-mlp-i8 forward pass. x_q: int8 [batch, d0].
    Returns int32 logits [batch, d_L]. Uses int64 intermediates throughout and
    asserts every accumulator fits in int32."""
    n_layers = sum(1 for k in tensors if k.endswith(".weight"))
    assert x_q.dtype == np.int8
    x = x_q.astype(np.int64)
    max_abs = 0
    for l in range(n_layers):
        w = tensors[f"layers.{l}.weight"]
        b = tensors[f"layers.{l}.bias"]
        assert w.dtype == np.int8 and b.dtype == np.int32
        assert w.shape[1] == x.shape[1] and b.shape == (w.shape[0],)
        acc = x @ w.astype(np.int64).T + b.astype(np.int64)[None, :]
        layer_max = int(np.abs(acc).max())
        assert layer_max < 2**31, f"layer {l}: |acc| = {layer_max} overflows int32"
        max_abs = max(max_abs, layer_max)
        if stats is not None:
            stats.append(layer_max)
        if l < n_layers - 1:
            rq = tensors[f"layers.{l}.requant"]
            assert rq.dtype == np.int32 and rq.shape == (2,)
            M, s = int(rq[0]), int(rq[1])
            assert 1 <= M <= 2**31 - 1 and 1 <= s <= 62
            prod = acc * M  # |acc| < 2^31, M < 2^31 -> |prod| < 2^62
            assert int(np.abs(prod).max()) < 2**62
            y = (prod + (1 << (s - 1))) >> s  # arithmetic shift = floor
            x = np.clip(y, 0, 127)
        else:
            logits = acc
    assert logits.min() >= INT32_MIN and logits.max() <= INT32_MAX
    return logits.astype(np.int32), max_abs


def argmax_lowest(logits):
    # np.argmax returns the first (lowest) index among equal maxima.
    return np.argmax(logits, axis=1).astype(np.uint8)


# --------------------------------------------------------------------------
def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    digits = load_digits()
    X = digits.data.astype(np.float64)  # [1797, 64], values 0..16
    y = digits.target.astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=SEED, stratify=y
    )

    clf = MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        activation="relu",
        solver="adam",
        alpha=1e-3,
        max_iter=500,
        random_state=SEED,
    )
    clf.fit(X_tr, y_tr)
    float_pred = clf.predict(X_te)
    float_acc = float(np.mean(float_pred == y_te))

    coefs = clf.coefs_  # [in, out] per layer
    biases = clf.intercepts_
    n_layers = len(coefs)

    # Calibrate hidden output scales on the training set (float activations).
    hidden_max = []
    h = X_tr
    for l in range(n_layers - 1):
        h = np.maximum(h @ coefs[l] + biases[l], 0.0)
        hidden_max.append(float(h.max()))

    tensors = {}
    s_in = 16.0 / 127.0  # input scale (raw digit units per int8 step)
    requants = []
    for l in range(n_layers):
        W = coefs[l].T  # -> [out, in]
        s_w = float(np.abs(W).max()) / 127.0
        W_q = np.clip(np.round(W / s_w), -127, 127).astype(np.int8)
        b_q = np.round(biases[l] / (s_in * s_w))
        assert np.abs(b_q).max() < 2**30
        tensors[f"layers.{l}.weight"] = np.ascontiguousarray(W_q)
        tensors[f"layers.{l}.bias"] = b_q.astype(np.int32)
        if l < n_layers - 1:
            s_out = hidden_max[l] / 127.0
            M, s = choose_requant(s_in * s_w / s_out)
            tensors[f"layers.{l}.requant"] = np.array([M, s], dtype=np.int32)
            requants.append((M, s))
            s_in = s_out

    x_te_q = quantize_inputs(X_te)
    layer_max = []
    logits, max_abs = mlp_i8(x_te_q, tensors, stats=layer_max)
    # Also check the training set stays inside int32 (a wider self-check).
    _, max_abs_train = mlp_i8(quantize_inputs(X_tr), tensors)
    q_pred = argmax_lowest(logits)
    q_acc = float(np.mean(q_pred == y_te))
    agree = float(np.mean(q_pred == float_pred))

    save_file(
        tensors,
        os.path.join(HERE, "model.safetensors"),
        metadata={"format": "ignis-mlp-i8", "layers": str(n_layers)},
    )
    os.chmod(os.path.join(HERE, "model.safetensors"), 0o644)  # lib writes 0600
    np.save(os.path.join(HERE, "test_inputs.npy"), x_te_q)
    np.save(os.path.join(HERE, "test_labels.npy"), y_te.astype(np.uint8))
    np.save(os.path.join(HERE, "expected_logits.npy"), logits)
    np.save(os.path.join(HERE, "expected_predictions.npy"), q_pred)
    acc = {
        "float_accuracy": round(float_acc, 6),
        "quantized_accuracy": round(q_acc, 6),
        "test_samples": int(len(y_te)),
        "agreement_float_vs_quantized": round(agree, 6),
    }
    with open(os.path.join(HERE, "accuracy.json"), "w") as f:
        json.dump(acc, f, indent=2)
        f.write("\n")

    dims = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
    print("model:", " -> ".join(map(str, dims)))
    for l, (M, s) in enumerate(requants):
        print(f"layers.{l}.requant: M={M} s={s} (m={M / 2**s:.6g})")
    print("per-layer max |acc| (test):", layer_max)
    print(f"largest |acc| seen: test={max_abs} train={max_abs_train} (< 2^31 = {2**31})")
    print(json.dumps(acc))


if __name__ == "__main__":
    main()
