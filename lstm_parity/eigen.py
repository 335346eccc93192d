"""tanh and sigmoid in numpy, float32, exactly as TensorFlow 2.21's x86 CPU kernels compute them: Eigen's
rational and polynomial approximations, with separate multiplies and adds (TensorFlow's x86 wheels are
built without FMA). numpy's own tanh is within 1 ulp of the true value and Eigen's within 6, so the LSTM's
states would drift from Keras's by ulps; with these they are Keras's bit for bit (lstm_parity.forward).
Each is a callable bound to one shape, its buffers allocated once, so a step allocates nothing.
"""
from __future__ import annotations

import numpy as np

f32 = np.float32


class KerasTanh:
    """tanh as TensorFlow's CPU kernel computes it in float32: Eigen's ptanh_float, x * P(x^2) / Q(x^2) on x
    clamped to +-7.907..., with separate multiplies and adds (TF's x86 wheels are built without FMA). Bit
    for bit equal to tf.tanh on 4M random inputs. Buffers are kept for one shape, so a step allocates
    nothing."""

    CLAMP = f32(7.90738964080810547)
    ALPHA = tuple(map(f32, (1.394553628e-8, 2.102733560e-5, 3.520756727e-3, 1.340216100e-1)))
    BETA = tuple(map(f32, (8.015776984e-7, 3.326951409e-4, 2.597254514e-2, 4.673548340e-1, 1.0)))

    def __init__(self, shape: tuple[int, ...]) -> None:
        self._x, self._x2, self._x3, self._q = (np.empty(shape, f32) for _ in range(4))
        # numpy's minimum against a scalar runs ~5x slower than against an array: the bounds as arrays
        self._high, self._low = np.full(shape, self.CLAMP), np.full(shape, -self.CLAMP)

    def __call__(self, a: np.ndarray, out: np.ndarray) -> None:
        x, x2, x3, q = self._x, self._x2, self._x3, self._q
        alpha, beta = self.ALPHA, self.BETA
        np.minimum(a, self._high, out=x)  # from here on `a` is not read, so `out` may be `a`
        np.maximum(x, self._low, out=x)
        np.multiply(x, x, out=x2)
        np.multiply(x2, x, out=x3)
        np.multiply(x2, alpha[0], out=out)  # p = ((a0 x2 + a1) x2 + a2) x2 + a3: Horner, as Eigen's ppolevl
        np.add(out, alpha[1], out=out)
        for coefficient in alpha[2:]:
            np.multiply(out, x2, out=out)
            np.add(out, coefficient, out=out)
        np.multiply(x2, beta[0], out=q)  # q likewise, degree 4 in x2
        np.add(q, beta[1], out=q)
        for coefficient in beta[2:]:
            np.multiply(q, x2, out=q)
            np.add(q, coefficient, out=q)
        np.multiply(out, x3, out=out)  # x^3 p + x: the numerator's constant term is 1
        np.add(out, x, out=out)
        np.divide(out, q, out=out)


class KerasSigmoid:
    """sigmoid as TensorFlow's CPU kernel computes it in float32 over whole 8-float packets: Eigen's
    scalar_logistic_op<float>, e / (1 + e) with e = exp(x / 2)^2 and exp by Cody-Waite reduction and a
    degree-5 polynomial. Bit for bit equal to tf.sigmoid on 4M random inputs. (TensorFlow computes the last
    size % 8 elements of a tensor another way, expf(x) / (1 + expf(x)), off by an ulp half the time: that
    tail is not reproduced, so a batch x units not a multiple of 8 can differ there. Nor is TensorFlow's
    flushing of denormals to zero in the other operations of a step: it changes results by < 1e-38, and
    only where a gate saturates to within 1e-38 of 0.)"""

    HI, LO, HALF, ONE = f32(16.6355324), f32(-104.0), f32(0.5), f32(1.0)
    TINY = np.finfo(f32).tiny  # the smallest normal float32
    LOG2E, C1, C2 = f32(1.44269504088896341), f32(-0.693359375), f32(2.12194440e-4)
    P2, P3 = f32(0.49999141693115234375), f32(0.16666877269744873046875)
    P4, P5 = f32(4.1898667812347412109375e-2), f32(8.33471305668354034423828125e-3)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self._x, self._m, self._r, self._r2, self._even, self._p = (np.empty(shape, f32) for _ in range(6))
        self._exponent = np.empty(shape, np.int32)
        self._subnormal = np.empty(shape, bool)
        self._high, self._low = np.full(shape, self.HI), np.full(shape, self.LO)  # arrays, as KerasTanh's

    def __call__(self, a: np.ndarray, out: np.ndarray) -> None:
        x, m, r, r2, even, p = self._x, self._m, self._r, self._r2, self._even, self._p
        np.minimum(a, self._high, out=x)  # from here on `a` is not read, so `out` may be `a`
        # Eigen returns 0 below -104; the formula gives 0 at -104 itself, so clamping there is the same
        # (and keeps huge inputs from overflowing the exponent on the way)
        np.maximum(x, self._low, out=x)
        np.multiply(x, self.HALF, out=x)  # exp(x) = exp(x / 2)^2 keeps exp(x / 2) normal
        np.multiply(x, self.LOG2E, out=m)  # m = floor(x log2(e) + 1/2)
        np.add(m, self.HALF, out=m)
        np.floor(m, out=m)
        np.multiply(m, self.C1, out=r)  # r = x - m ln 2, ln 2 subtracted in two parts
        np.add(r, x, out=r)
        np.multiply(m, self.C2, out=even)
        np.add(r, even, out=r)
        np.multiply(r, r, out=r2)
        np.multiply(r2, self.P4, out=even)
        np.add(even, self.P2, out=even)
        np.multiply(r2, self.P5, out=p)
        np.add(p, self.P3, out=p)
        np.multiply(p, r, out=p)  # r * odd + even
        np.add(p, even, out=p)
        np.multiply(p, r2, out=p)  # r2 * that + (r + 1)
        np.add(r, self.ONE, out=r)
        np.add(p, r, out=p)
        np.copyto(self._exponent, m, casting="unsafe")  # m is a small integer here: exact
        np.ldexp(p, self._exponent, out=p)  # 2^m exp(r): a multiply by a power of two, as Eigen's
        np.multiply(p, p, out=p)
        # TensorFlow runs with denormals flushed to zero (FTZ/DAZ): where e is subnormal, S(x) = e is 0 there
        np.less(p, self.TINY, out=self._subnormal)
        np.copyto(p, 0, where=self._subnormal)
        np.add(p, self.ONE, out=even)
        np.divide(p, even, out=out)
