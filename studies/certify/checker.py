"""Rigorous checker for the parity LSTM's (partial) all-lengths certificate.

Everything here is interval arithmetic with outward rounding (mpmath.iv, 53-bit) on the stored float32
weights taken exactly (each float32 is a dyadic rational, converted to mpmath without rounding). Nothing is
sampled. `check_certificate(weights, certificate)` returns a report or raises CertificateError.

The model (checked against config.json by `load_weights`): bit b -> x = (b, 1-b); Keras LSTM(4) with
z = x W + h U + bias, gate order (i, f, g, o), i/f/o = sigmoid, g = tanh, c' = f*c + i*g, h' = o*tanh(c'),
zero initial state; readout logits h' Wd + bd, answer = argmax (softmax is monotone, so compare logits).

What a passing certificate proves (see README.md):
  * N_0, N_1 are boxes with f(N_q, 0) + slack inside N_q and the readout answering q everywhere on N_q;
  * from the zero state, the prefixes 0^a (a = 1..n0) are answered "even" and 0^n0 lands in N_0;
  * after 0^a 1 (a < n0), and after a 1 read in N_q, the following zeros are answered right and the state
    reaches N_{1-q}, resp. N_{1-q} (odd/even) within the certificate's stated number of steps.
Hence every input in which the first 1 comes anywhere and every later 1 comes at least G zeros after the
previous one (G = the largest chain length in the certificate) is answered correctly at every step, at every
length; in particular 0^n and 0^a 1 0^b for all a, b. Every box image is widened by `slack` per coordinate per
step, so the same holds for any implementation whose per-step error is at most `slack` in each of h and c.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from mpmath import iv

from lstm_parity.keras_file import read_weights

iv.prec = 53  # outward-rounded double-precision intervals

FORMAT = "lstm-parity-partial-certificate/1"


class CertificateError(Exception):
    """The certificate does not prove its claim for these weights."""


# ---------------------------------------------------------------- weights

def load_weights(path: str | Path) -> dict:
    """The float32 weights of a .keras file, read and checked by the library's reader (a BitPairs, LSTM,
    Dense parity model; lstm_parity.keras_file), as the arrays this checker names; only 4 units."""
    weights = read_weights(Path(path))
    if weights.units != 4:
        raise CertificateError(f"{path}: {weights.units} units; this certificate's format covers 4")
    return {"kernel": weights.kernel, "recurrent": weights.recurrent_kernel, "bias": weights.bias,
            "dense_kernel": weights.dense_kernel, "dense_bias": weights.dense_bias,
            "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}


def weights_digest(weights: dict) -> str:
    """sha256 of the five float32 arrays' bytes (binds a certificate to exact weights, whatever the file)."""
    h = hashlib.sha256()
    for name in ("kernel", "recurrent", "bias", "dense_kernel", "dense_bias"):
        h.update(np.ascontiguousarray(weights[name], dtype=np.float32).tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------- interval model

def _pt(x) -> iv.mpf:
    """An exact point interval from a float (float32 -> float64 -> mpf is exact)."""
    return iv.mpf(float(x))


def _hexbox(values) -> list:
    return [iv.mpf(float.fromhex(v)) for v in values]


def _sigmoid(z):
    return 1 / (1 + iv.exp(-z))      # z occurs once: the interval evaluation is a valid enclosure


def _tanh(z):
    return 1 - 2 / (iv.exp(2 * z) + 1)


def _unimodal(z, point_value, peak):
    """Range over the interval z of a function that increases on (-inf, 0], decreases on [0, inf) and equals
    `peak` at 0 (sigmoid' = s(1-s), peak 1/4; tanh' = 1 - tanh^2, peak 1): its minimum is at an endpoint, its
    maximum at 0 if 0 is in z, else at the endpoint nearer 0. Endpoint values are enclosed rigorously."""
    lo_end, hi_end = point_value(iv.mpf(z.a)), point_value(iv.mpf(z.b))
    low = min(lo_end.a, hi_end.a)
    high = peak if (z.a <= 0 and z.b >= 0) else max(lo_end.b, hi_end.b)
    return iv.mpf([low, high])


def _dsigmoid(z):
    return _unimodal(z, lambda p: _sigmoid(p) * (1 - _sigmoid(p)), iv.mpf(0.25))


def _dtanh(z):
    return _unimodal(z, lambda p: 1 - _tanh(p) ** 2, iv.mpf(1))


def _hull(lo_box, hi_box) -> list:
    return [iv.mpf([a.a, b.b]) for a, b in zip(lo_box, hi_box, strict=True)]


class IntervalCell:
    """The LSTM step and readout over boxes (lists of 8 iv intervals: h0..h3, c0..c3)."""

    def __init__(self, weights: dict):
        k, r, b = weights["kernel"], weights["recurrent"], weights["bias"]
        self.U = [[_pt(r[m, j]) for j in range(16)] for m in range(4)]
        # input part of z for each bit: x W + bias with x = (bit, 1 - bit)
        self.xw = {bit: [_pt(k[0, j]) * bit + _pt(k[1, j]) * (1 - bit) + _pt(b[j]) for j in range(16)]
                   for bit in (0, 1)}
        wd, bd = weights["dense_kernel"], weights["dense_bias"]
        self.d = {p: [_pt(wd[m, p]) - _pt(wd[m, 1 - p]) for m in range(4)] for p in (0, 1)}
        self.e = {p: _pt(bd[p]) - _pt(bd[1 - p]) for p in (0, 1)}

    def _gates(self, h, bit):
        z = [self.xw[bit][j] + sum(h[m] * self.U[m][j] for m in range(4)) for j in range(16)]
        return z, [_sigmoid(v) for v in z[:4]], [_sigmoid(v) for v in z[4:8]], \
            [_tanh(v) for v in z[8:12]], [_sigmoid(v) for v in z[12:]]

    def naive(self, box, bit):
        """Plain interval extension of one step."""
        h, c = box[:4], box[4:]
        _, i, f, g, o = self._gates(h, bit)
        c2 = [f[k] * c[k] + i[k] * g[k] for k in range(4)]
        return [o[k] * _tanh(c2[k]) for k in range(4)] + c2

    def jacobian(self, box, bit):
        """Interval enclosure of the Jacobian d step / d (h, c) over the box (8 x 8 list of intervals)."""
        h, c = box[:4], box[4:]
        z, i, f, g, o = self._gates(h, bit)
        di, df = [_dsigmoid(v) for v in z[:4]], [_dsigmoid(v) for v in z[4:8]]
        dg, do = [_dtanh(v) for v in z[8:12]], [_dsigmoid(v) for v in z[12:]]
        c2 = [f[k] * c[k] + i[k] * g[k] for k in range(4)]
        t, dt = [_tanh(v) for v in c2], [_dtanh(v) for v in c2]
        J = [[iv.mpf(0)] * 8 for _ in range(8)]
        for k in range(4):
            for m in range(4):
                dc = c[k] * df[k] * self.U[m][4 + k] + g[k] * di[k] * self.U[m][k] + i[k] * dg[k] * self.U[m][8 + k]
                J[4 + k][m] = dc                                              # d c'_k / d h_m
                J[k][m] = t[k] * do[k] * self.U[m][12 + k] + o[k] * dt[k] * dc  # d h'_k / d h_m
            J[4 + k][4 + k] = f[k]                                            # d c'_k / d c_k
            J[k][4 + k] = o[k] * dt[k] * f[k]                                 # d h'_k / d c_k
        return J

    def image(self, box, bit, slack):
        """Enclosure of {step(s, bit) + e : s in box, |e_j| <= slack}: naive extension intersected with the
        mean-value form step(m) + J(box) (box - m), m the box's midpoint (both contain the true image)."""
        naive = self.naive(box, bit)
        mid = [iv.mpf(a.mid.a) for a in box]        # a point of the box (the rounded midpoint lies inside it)
        f_mid = self.naive(mid, bit)
        J = self.jacobian(box, bit)
        dev = [box[j] - mid[j] for j in range(8)]
        out = []
        for r in range(8):
            mvf = f_mid[r] + sum(J[r][j] * dev[j] for j in range(8))
            lo, hi = max(naive[r].a, mvf.a), min(naive[r].b, mvf.b)
            if lo > hi:
                raise AssertionError("empty intersection of two enclosures: a bug")
            out.append(iv.mpf([lo, hi]) + iv.mpf([-slack, slack]))
        return out

    def margin(self, box, parity):
        """Interval of logit[parity] - logit[other] over the box (exact enclosure: linear in h)."""
        return sum(self.d[parity][m] * box[m] for m in range(4)) + self.e[parity]


def _inside(box, outer) -> bool:
    return all(a.a >= b.a and a.b <= b.b for a, b in zip(box, outer, strict=True))


# ---------------------------------------------------------------- the check

def check_certificate(weights: dict, certificate: dict, verify_digest: bool = True) -> dict:
    """Re-check the certificate from scratch. Returns a report; raises CertificateError on any failure."""
    if certificate.get("format") != FORMAT:
        raise CertificateError(f"unknown format {certificate.get('format')!r}")
    if verify_digest and certificate.get("weights_digest") != weights_digest(weights):
        raise CertificateError("certificate was made for other weights (weights_digest differs)")
    cell = IntervalCell(weights)
    slack = iv.mpf(float.fromhex(certificate["slack"]))
    if not slack.a >= 0:
        raise CertificateError("negative slack")
    N = {q: _hull(_hexbox(certificate["N"][str(q)]["lo"]), _hexbox(certificate["N"][str(q)]["hi"])) for q in (0, 1)}
    worst = {"margin": None}
    steps = {"count": 0}

    def answered(box, parity, where):
        m = cell.margin(box, parity)
        if not m.a > 0:
            raise CertificateError(f"{where}: readout not certainly {parity} (margin lower bound {m.a})")
        worst["margin"] = m.a if worst["margin"] is None else min(worst["margin"], m.a)

    def step(box, bit):
        steps["count"] += 1
        return cell.image(box, bit, slack)

    # 1. the attractor boxes: answered right, and invariant under bit 0 (with slack)
    for q in (0, 1):
        answered(N[q], q, f"N_{q}")
        if not _inside(step(N[q], 0), N[q]):
            raise CertificateError(f"N_{q} is not mapped into itself by bit 0")

    def chain(box, parity, length, where):
        """box is the state right after a 1 (already an image); zeros follow: every state is answered
        `parity` until, after `length` zeros, the state lies in N_parity."""
        for k in range(length):
            answered(box, parity, f"{where}, zero {k}")
            box = step(box, 0)
        if not _inside(box, N[parity]):
            raise CertificateError(f"{where}: not inside N_{parity} after {length} zeros")

    # 2. the start: zero state, prefixes 0^a, and 0^a 1 0^b
    n0, post = certificate["start_steps"], certificate["start_post1_steps"]
    if len(post) != n0:
        raise CertificateError("start_post1_steps must list one chain length per a = 0..start_steps-1")
    x = [iv.mpf(0)] * 8
    for a in range(n0):
        chain(step(x, 1), 1, post[a], f"prefix 0^{a} 1")
        x = step(x, 0)
        answered(x, 0, f"prefix 0^{a + 1}")
    if not _inside(x, N[0]):
        raise CertificateError(f"0^{n0} from the zero state is not inside N_0")

    # 3. a 1 read in N_q, then zeros, reaches N_{1-q}
    for q in (0, 1):
        chain(step(N[q], 1), 1 - q, certificate["tail_steps"][str(q)], f"1 read in N_{q}")

    gap = max([*post, certificate["tail_steps"]["0"], certificate["tail_steps"]["1"]])
    return {"ok": True, "model_sha256": certificate.get("model_sha256"), "slack": float(slack.b),
            "min_margin_lower_bound": float(worst["margin"]), "interval_steps": steps["count"],
            "start_steps": n0, "gap_G": gap}
