"""Search (float64, not rigorous) for the partial certificate that checker.py then proves rigorously; run as
`python -m studies.certify.run search`.

Finds N_0, N_1 (boxes around the two bit-0 attractors, invariant under bit 0 with the slack), the length of
the start's zero run until it is in N_0, and the lengths of the zero chains after each 1 (after 0^a 1 from the
start, and after a 1 read in N_q). The search demands twice the certificate's slack, so that the rigorous
re-check (slightly wider enclosures from outward rounding) keeps a margin.
"""
from __future__ import annotations

import time

import numpy as np

from studies.certify.checker import FORMAT, weights_digest

# The float64 cell (the checker never uses it): state s = (h, c) in R^8, Keras gate order i, f, g, o.


def sig(x):
    return 1 / (1 + np.exp(-x))


def mul(al, ah, bl, bh):
    """interval product [al,ah]*[bl,bh] (float, no directed rounding)"""
    p = np.stack([al * bl, al * bh, ah * bl, ah * bh])
    return p.min(0), p.max(0)


def dsig_iv(lo, hi):
    a, b = sig(lo) * (1 - sig(lo)), sig(hi) * (1 - sig(hi))
    return np.minimum(a, b), np.where((lo <= 0) & (hi >= 0), 0.25, np.maximum(a, b))


def dtanh_iv(lo, hi):
    a, b = 1 - np.tanh(lo) ** 2, 1 - np.tanh(hi) ** 2
    return np.minimum(a, b), np.where((lo <= 0) & (hi >= 0), 1.0, np.maximum(a, b))


class Cell:
    def __init__(self, weights):
        self.W = weights["kernel"].astype(np.float64)      # (2, 16)
        self.U = weights["recurrent"].astype(np.float64)   # (4, 16)
        self.b = weights["bias"].astype(np.float64)        # (16,)
        self.Wd = weights["dense_kernel"].astype(np.float64)
        self.bd = weights["dense_bias"].astype(np.float64)
        self.Up, self.Un = np.maximum(self.U, 0), np.minimum(self.U, 0)

    def x(self, bit):
        return self.W[0] * bit + self.W[1] * (1 - bit) + self.b

    def step(self, s, bit):
        s = np.atleast_2d(s)
        h, c = s[:, :4], s[:, 4:]
        z = h @ self.U + self.x(bit)
        i, f, g, o = sig(z[:, :4]), sig(z[:, 4:8]), np.tanh(z[:, 8:12]), sig(z[:, 12:])
        c2 = f * c + i * g
        return np.concatenate([o * np.tanh(c2), c2], 1)

    def margin(self, lo, hi, parity):
        """worst (logit[parity] - logit[other]) over the boxes"""
        d = self.Wd[:, parity] - self.Wd[:, 1 - parity]
        return np.minimum(d * lo[:, :4], d * hi[:, :4]).sum(1) + self.bd[parity] - self.bd[1 - parity]

    def image(self, lo, hi, bit):
        """box enclosure of the image of boxes: naive interval extension intersected with the mean-value form"""
        U = self.U
        xb = self.x(bit)
        hl, hh, cl, ch = lo[:, :4], hi[:, :4], lo[:, 4:], hi[:, 4:]
        zl = hl @ self.Up + hh @ self.Un + xb
        zh = hh @ self.Up + hl @ self.Un + xb
        il, ih = sig(zl[:, :4]), sig(zh[:, :4])
        fl, fh = sig(zl[:, 4:8]), sig(zh[:, 4:8])
        gl, gh = np.tanh(zl[:, 8:12]), np.tanh(zh[:, 8:12])
        ol, oh = sig(zl[:, 12:]), sig(zh[:, 12:])
        k1, k2 = mul(fl, fh, cl, ch), mul(il, ih, gl, gh)
        c2l, c2h = k1[0] + k2[0], k1[1] + k2[1]
        tl, th = np.tanh(c2l), np.tanh(c2h)
        h2l, h2h = mul(ol, oh, tl, th)
        naive_lo, naive_hi = np.concatenate([h2l, c2l], 1), np.concatenate([h2h, c2h], 1)
        # interval Jacobian magnitude
        dil, dih = dsig_iv(zl[:, :4], zh[:, :4])
        dfl, dfh = dsig_iv(zl[:, 4:8], zh[:, 4:8])
        dgl, dgh = dtanh_iv(zl[:, 8:12], zh[:, 8:12])
        dol, doh = dsig_iv(zl[:, 12:], zh[:, 12:])
        dtl, dth = dtanh_iv(c2l, c2h)

        def term(al, ah, bl, bh, cols):
            pl, ph = mul(al, ah, bl, bh)
            columns = cols.T[None]
            return mul(pl[:, :, None], ph[:, :, None], columns, columns)

        def magnitude(a, b):
            return np.maximum(np.abs(a), np.abs(b))

        t1, t2, t3 = term(cl, ch, dfl, dfh, U[:, 4:8]), term(gl, gh, dil, dih, U[:, :4]), term(il, ih, dgl, dgh,
                                                                                               U[:, 8:12])
        dl, dh = t1[0] + t2[0] + t3[0], t1[1] + t2[1] + t3[1]
        t4 = term(tl, th, dol, doh, U[:, 12:16])
        odl, odh = mul(ol, oh, dtl, dth)
        t5 = mul(odl[:, :, None], odh[:, :, None], dl, dh)
        jacobian = np.zeros((len(lo), 8, 8))
        units = np.arange(4)
        jacobian[:, :4, :4] = magnitude(t4[0] + t5[0], t4[1] + t5[1])
        jacobian[:, 4:, :4] = magnitude(dl, dh)
        jacobian[:, units, 4 + units] = magnitude(*mul(odl, odh, fl, fh))
        jacobian[:, 4 + units, 4 + units] = magnitude(fl, fh)
        mid, rad = (lo + hi) / 2, (hi - lo) / 2
        fm = self.step(mid, bit)
        spread = np.einsum('nij,nj->ni', jacobian, rad)
        return np.maximum(naive_lo, fm - spread), np.minimum(naive_hi, fm + spread)

    def jac(self, s, bit, e=1e-7):
        return np.array([(self.step(s + d, bit)[0] - self.step(s - d, bit)[0]) / (2 * e) for d in np.eye(8) * e]).T


def attractor(cell: Cell, q: int) -> np.ndarray:
    s = np.zeros((1, 8))
    if q:
        s = cell.step(s, 1)
    for _ in range(5000):
        s = cell.step(s, 0)
    return s[0]


def invariant_box(cell: Cell, q: int, beta: float, slack: float):
    """Box around the bit-0 attractor of parity q, shaped by (I - |J|)^-1 (the linearisation's own invariant
    box), grown by hull iteration until image + slack lies inside it."""
    a = attractor(cell, q)
    r = np.linalg.solve(np.eye(8) - np.abs(cell.jac(a, 0)), beta * np.r_[np.ones(4), 10 * np.ones(4)])
    lo, hi = (a - r)[None], (a + r)[None]
    for _ in range(5000):
        il, ih = cell.image(lo, hi, 0)
        il, ih = il - slack, ih + slack
        if (il >= lo).all() and (ih <= hi).all() and cell.margin(lo, hi, q)[0] > 0:
            return lo, hi
        lo, hi = np.minimum(lo, il), np.maximum(hi, ih)
    raise RuntimeError(f"no invariant box for parity {q} at beta={beta}")


def chain_length(cell: Cell, lo, hi, parity: int, N, slack: float, cap: int = 3000) -> int:
    """Zeros needed from the post-1 box until inside N[parity], every state answered `parity`."""
    for k in range(cap):
        if cell.margin(lo, hi, parity)[0] <= 0:
            raise RuntimeError(f"readout fails after {k} zeros")
        if (hi - lo)[0, :4].max() > 1:
            raise RuntimeError(f"box blows up after {k} zeros")
        lo, hi = cell.image(lo, hi, 0)
        lo, hi = lo - slack, hi + slack
        if ((lo >= N[parity][0]) & (hi <= N[parity][1])).all():
            return k + 1
    raise RuntimeError("cap reached")


def search(weights: dict, slack: float = 1e-5, beta: tuple[float, float] = (5e-5, 1e-3)) -> dict:
    """The certificate the search finds for these weights (checker.check_certificate then proves it)."""
    t0 = time.perf_counter()
    cell = Cell(weights)
    slack = float(np.float64(slack))
    search_slack = 2 * slack
    N = {q: invariant_box(cell, q, beta[q], search_slack) for q in (0, 1)}
    # start: zero state; prefixes 0^a and 0^a 1 0^b
    x = (np.zeros((1, 8)), np.zeros((1, 8)))
    post = []
    for _ in range(5000):
        if ((x[0] >= N[0][0]) & (x[1] <= N[0][1])).all():
            break
        y = cell.image(*x, 1)
        post.append(chain_length(cell, y[0] - search_slack, y[1] + search_slack, 1, N, search_slack))
        lo, hi = cell.image(*x, 0)
        x = (lo - search_slack, hi + search_slack)
        if cell.margin(*x, 0)[0] <= 0:
            raise RuntimeError(f"the zero run from the start is answered wrong after {len(post)} zeros")
    tails = {}
    for q in (0, 1):
        y = cell.image(*N[q], 1)
        tails[str(q)] = chain_length(cell, y[0] - search_slack, y[1] + search_slack, 1 - q, N, search_slack)
    return {
        "format": FORMAT,
        "model_sha256": weights["sha256"],
        "weights_digest": weights_digest(weights),
        "slack": float.hex(slack),
        "slack_decimal": repr(slack),
        "N": {str(q): {"lo": [float.hex(float(v)) for v in N[q][0][0]],
                       "hi": [float.hex(float(v)) for v in N[q][1][0]]} for q in (0, 1)},
        "start_steps": len(post),
        "start_post1_steps": post,
        "tail_steps": tails,
        "search": {"beta": list(beta), "search_slack": search_slack, "seconds": round(time.perf_counter() - t0, 1)},
    }
