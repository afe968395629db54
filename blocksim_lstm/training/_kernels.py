"""Compiled kernels: forward pass, backpropagation through time, clipping, Adam.

The learnables live in one flat float64 vector ``theta`` laid out as
``[W (row-major, 4Nn x Ni), R (4Nn x Nn), b (4Nn), F (No x Nn), bF (No)]``;
:class:`Workspace` hands the kernels numpy views of it (:func:`views`) and
preallocated buffers. An epoch is three compiled calls, :func:`forward`,
:func:`backward` and :func:`update` (clipping and the Adam step), made by
:meth:`Workspace.train_chunk` for many epochs in a row.

float32 mode: the forward and backward kernels are compiled for float32 arrays
too (``Workspace(..., dtype="float32")``, only when used); they run on a rounded
float32 copy of ``theta`` and their gradient is widened to float64 for the
clipping and the Adam update, which stay float64.

Loss convention: plain mean squared error over every element,
``L = sum((yhat - y)**2) / (B * T * No)`` (not MATLAB's half-MSE).

Same bytes on every x86-64 machine
----------------------------------
Every floating-point result here is fixed by the source alone:

- no fast-math flags: LLVM may neither reassociate a sum nor contract ``a*b + c``
  into a fused multiply-add (FMA rounds once, so CPUs with and without FMA
  would differ);
- no BLAS: every sum runs in the order the loops below write it. Loops are
  vectorized only *across independent outputs* (e.g. all 4Nn gate
  pre-activations at once, each accumulating its own terms in the same order),
  never inside one reduction, so the vector width of the CPU cannot change a
  result. The register tiles (:func:`_make_tile`, the large products) are
  written in LLVM IR with the same rule: one vector lane per output, plain
  ``fmul`` and ``fadd``;
- no libm: ``exp``/``expm1`` are computed here from +, -, *, / (glibc's ``exp``
  and ``expm1`` differ by 1 ulp between their FMA and non-FMA variants on about
  0.06 % of arguments, and between glibc versions), and powers by repeated
  squaring (``**`` would call libm's ``pow``). Only IEEE-754 basic operations and
  ``sqrt`` remain, which are correctly rounded on every x86-64 CPU.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._clipcodes import CLIP_GLOBAL, CLIP_L2NORM

# exp(x) for x <= 0: x = k ln2 + r, |r| <= ln2 / 2, exp(x) = 2**k (1 + expm1(r)).
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: x + _SHIFT rounds x to an integer
_SHIFT_BITS = 0x4338000000000000  # its bit pattern; the integer sits in the low bits
_INV_LN2 = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits (fdlibm): k * _LN2_HI exact
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_X_MIN = -746.0  # exp(x) rounds to 0 below this
# 1/n! for n = 13 .. 2: the Taylor series of (expm1(r) - r) / r**2, truncation
# error < 2e-17 relative for |r| <= ln2 / 2
_C13 = 1.0 / 6227020800.0
_C12 = 1.0 / 479001600.0
_C11 = 1.0 / 39916800.0
_C10 = 1.0 / 3628800.0
_C9 = 1.0 / 362880.0
_C8 = 1.0 / 40320.0
_C7 = 1.0 / 5040.0
_C6 = 1.0 / 720.0
_C5 = 1.0 / 120.0
_C4 = 1.0 / 24.0
_C3 = 1.0 / 6.0
_C2 = 0.5


@intrinsic
def _f64_from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits``."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bits_of_f64(typingctx, x):
    """The IEEE-754 bit pattern of the float64 ``x`` as an int64."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _sqrt(typingctx, x):
    """Correctly rounded square root (the ``sqrtsd`` instruction, not libm)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.sqrt", [ir.DoubleType()])
        return builder.call(fn, args)

    return types.float64(types.float64), codegen


# Compile time: the small helpers below are ``forceinline`` (LLVM inlines them
# into each caller, where the loops vectorize as before), not numba's
# ``inline="always"``, which types the helper's code again at every call site.
# Weights, gradients and scratch arrays come in as separate arrays made by
# :class:`Workspace` (numpy views), not as one flat vector reshaped here, and the
# loop over epochs runs in Python (three compiled calls per epoch, ~1 % of an
# epoch at Nn = 5): a first ``train`` compiles three kernels and their helpers,
# each once, instead of a fused epoch kernel that links them all a second time.


@njit(cache=True, forceinline=True, error_model="numpy")
def _exp_reduced(x: float):
    """Split ``x <= 0`` as ``k ln2 + r``; return ``expm1(r), s1, s2``
    with ``s1 s2 = 2**k``.

    Then ``exp(x) = ((1 + expm1(r)) s1) s2``. Branch-free (the gate loops
    vectorize). ``2**k`` is built from its bits in two factors so that results
    down to the subnormal range are right. ``expm1(r)`` for ``|r| <= ln2 / 2``
    is accurate relative to itself.
    """
    if x < _X_MIN:
        x = _X_MIN
    kd = x * _INV_LN2 + _SHIFT
    # round(x / ln2), in [-1076, 0]
    k = _bits_of_f64(kd) - _SHIFT_BITS  # type: ignore[call-arg]
    kd = kd - _SHIFT
    r = (x - kd * _LN2_HI) - kd * _LN2_LO
    # k1 = floor(k / 2) = k >> 1, found in floating point: AVX2 has no 64-bit
    # arithmetic shift, and with one the loops calling this do not vectorize
    k1 = _bits_of_f64((kd * 0.5 - 0.25) + _SHIFT) - _SHIFT_BITS  # type: ignore[call-arg]
    s1 = _f64_from_bits((k1 + 1023) << 52)
    s2 = _f64_from_bits((k - k1 + 1023) << 52)
    p = _C13
    p = _C12 + r * p
    p = _C11 + r * p
    p = _C10 + r * p
    p = _C9 + r * p
    p = _C8 + r * p
    p = _C7 + r * p
    p = _C6 + r * p
    p = _C5 + r * p
    p = _C4 + r * p
    p = _C3 + r * p
    p = _C2 + r * p
    return r + (r * r) * p, s1, s2


@njit(cache=True, forceinline=True, error_model="numpy")
def exp_nonpos(x: float) -> float:
    """``exp(x)`` for ``x <= 0`` (NaN gives NaN), within ~1 ulp, the same bytes on
    every CPU."""
    e, s1, s2 = _exp_reduced(x)
    return ((1.0 + e) * s1) * s2


@njit(cache=True, forceinline=True, error_model="numpy")
def expm1_nonpos(x: float) -> float:
    """``exp(x) - 1`` for ``x <= 0``, accurate relative to the result near 0."""
    e, s1, s2 = _exp_reduced(x)
    s = s1 * s2
    return (s - 1.0) + s * e


@njit(cache=True, forceinline=True, error_model="numpy")
def _sigmoid(x: float) -> float:
    # exp of a non-positive number never overflows; both branches are computed
    # so the compiler can select without a jump (and vectorize the gate loop).
    # e = exp_nonpos(-|x|), written out (one helper less to compile)
    m, s1, s2 = _exp_reduced(-abs(x))
    e = ((1.0 + m) * s1) * s2
    r = 1.0 / (1.0 + e)
    return r if x >= 0.0 else e * r


@njit(cache=True, forceinline=True, error_model="numpy")
def _tanh(x: float) -> float:
    # tanh|x| = -t / (t + 2), t = expm1(-2|x|) in (-1, 0]: no overflow, ~1 ulp
    # t = expm1_nonpos(-2|x|), written out
    m, s1, s2 = _exp_reduced(-2.0 * abs(x))
    s = s1 * s2
    t = (s - 1.0) + s * m
    r = (0.0 - t) / (t + 2.0)
    return r if x >= 0.0 else -r


@njit(cache=True, forceinline=True, error_model="numpy")
def powi(x: float, n: int) -> float:
    """``x ** n`` for an integer ``n >= 0`` by repeated squaring (no libm)."""
    r = 1.0
    b = x
    while n > 0:
        if n & 1:
            r *= b
        b *= b
        n >>= 1
    return r


# Matrix-vector products and the weight gradients add their terms one after the
# other, in index order, into each output separately (the loops run over the
# outputs innermost, so the CPU computes many outputs at once). They add eight
# (or four) terms per pass over the outputs, ``z = (((z + a0 x0) + a1 x1) + ...)``,
# written out so that nothing is reassociated: the same sums, in the same order,
# as one pass per term, with an eighth of the loads and stores of ``z``.


@njit(cache=True, forceinline=True, error_model="numpy")
def _add_rows(z, M, x):
    """``z[k] += M[0, k] x[0] + M[1, k] x[1] + ...``, the terms added in order.

    ``z (m,)``, ``M (n, m)``, ``x (n,)``.
    """
    n = x.shape[0]
    m = z.shape[0]
    j = 0
    while j + 8 <= n:
        m0, m1, m2, m3 = M[j], M[j + 1], M[j + 2], M[j + 3]
        m4, m5, m6, m7 = M[j + 4], M[j + 5], M[j + 6], M[j + 7]
        x0, x1, x2, x3 = x[j], x[j + 1], x[j + 2], x[j + 3]
        x4, x5, x6, x7 = x[j + 4], x[j + 5], x[j + 6], x[j + 7]
        for k in range(m):
            s = ((z[k] + m0[k] * x0) + m1[k] * x1) + m2[k] * x2
            s = ((s + m3[k] * x3) + m4[k] * x4) + m5[k] * x5
            z[k] = (s + m6[k] * x6) + m7[k] * x7
        j += 8
    if j + 4 <= n:
        m0, m1, m2, m3 = M[j], M[j + 1], M[j + 2], M[j + 3]
        x0, x1, x2, x3 = x[j], x[j + 1], x[j + 2], x[j + 3]
        for k in range(m):
            z[k] = (((z[k] + m0[k] * x0) + m1[k] * x1) + m2[k] * x2) + m3[k] * x3
        j += 4
    while j < n:
        m0 = M[j]
        x0 = x[j]
        for k in range(m):
            z[k] += m0[k] * x0
        j += 1


# Register-tiled matrix-vector products over panels (issue 14). At Nn = 200, R
# (4Nn x Nn, 1.28 MB in float64) does not fit the 512 KiB L2 of a Zen 3 core, and
# the row-by-row passes above read all of it from L3 twice per step. Here the
# outputs are cut into panels of up to 32 (float32: 64) columns; a panel's
# partial sums stay in eight vector registers while its terms are added in
# index order, the same sums as `_add_rows`, and each panel's matrix entries are
# a contiguous copy (the prefetchers follow them; a column slice of R crosses a
# page every few rows). Any order of panels gives the same bytes (the outputs are
# independent), so consecutive steps walk them in opposite directions: the
# panels one step read last are still in L2 when the next step starts.

_VEC_BYTES = 32  # one AVX register; a CPU without AVX splits it (same lanes)
# Below these sizes the plain loops (`_add_rows`, `_add_outer_rows`) measured
# as fast or faster (per-call set-up, short panels, one-row tiles):
FORWARD_PANEL_MIN_NN = 8  # R'h in panels (the forward pass) from this Nn on
TILE_MIN_NN = 16  # the weight gradients in register tiles from this Nn on
PANEL_MIN_NN = 32  # R dz in panels (a copy of R per backward call) from this Nn on


def _make_tile(nj: int, nvec: int, narrow: bool = False):
    """A compiled register tile: ``nj`` rows of ``w = nvec * lanes`` outputs.

    ``tile(G, D, X, g0, gs, d0, ds, x0, xs, xj, n)`` adds, for ``i = 0, 1,
    ..., n - 1`` in this order, ``D[d0 + i ds + c] * X[x0 + i xs + a xj]`` to
    ``G[g0 + a gs + c]`` (``a < nj``, ``c < w``), each output alone: its
    partial sum stays in a register from the first term to the last. Indexes
    are flat element offsets into C-contiguous arrays of one float dtype;
    ``lanes = 32 bytes / itemsize`` (4 if ``narrow``). Written as LLVM IR
    with vector types and plain ``fmul`` and ``fadd`` (no fast-math flags, so
    no FMA and no reordering), so that the loop keeps its accumulators in
    registers: numba's loops over arrays keep them in memory.
    """

    @intrinsic
    def tile(typingctx, G, D, X, g0, gs, d0, ds, x0, xs, xj, n):
        arrays = (G, D, X)
        if not all(isinstance(a, types.Array) and a.layout == "C" for a in arrays):
            return None
        if not (G.dtype == D.dtype == X.dtype and isinstance(G.dtype, types.Float)):
            return None
        ip = types.intp
        sig = types.void(G, D, X, ip, ip, ip, ip, ip, ip, ip, ip)

        def codegen(context, builder, signature, args):
            ga, da, xa = (
                context.make_array(ty)(context, builder, v)
                for ty, v in zip(signature.args[:3], args[:3], strict=True)
            )
            g0v, gsv, d0v, dsv, x0v, xsv, xjv, nv = args[3:]
            elt = context.get_data_type(signature.args[0].dtype)
            size = context.get_abi_sizeof(elt)
            lanes = 4 if narrow else _VEC_BYTES // size
            vec = ir.VectorType(elt, lanes)
            intp = context.get_value_type(types.intp)

            def const(v):
                return ir.Constant(intp, v)

            def vptr(base, idx, v):
                idx = builder.add(idx, const(v * lanes))
                return builder.bitcast(builder.gep(base, [idx]), vec.as_pointer())

            rows = [builder.add(g0v, builder.mul(gsv, const(a))) for a in range(nj)]
            accs = [
                [cgutils.alloca_once(builder, vec) for _ in range(nvec)] for _ in rows
            ]
            for row, acc in zip(rows, accs, strict=True):
                for v in range(nvec):
                    val = builder.load(vptr(ga.data, row, v), align=size)
                    builder.store(val, acc[v])
            i32 = ir.IntType(32)
            splat = ir.Constant(ir.VectorType(i32, lanes), [0] * lanes)
            undef = ir.Constant(vec, ir.Undefined)
            with cgutils.for_range(builder, nv) as loop:
                i = loop.index
                drow = builder.add(d0v, builder.mul(i, dsv))
                dv = [
                    builder.load(vptr(da.data, drow, v), align=size)
                    for v in range(nvec)
                ]
                xrow = builder.add(x0v, builder.mul(i, xsv))
                for a in range(nj):
                    xi = builder.add(xrow, builder.mul(xjv, const(a)))
                    xs_ = builder.load(builder.gep(xa.data, [xi]), align=size)
                    xb = builder.insert_element(undef, xs_, ir.Constant(i32, 0))
                    xb = builder.shuffle_vector(xb, undef, splat)
                    for v in range(nvec):
                        s = builder.fadd(
                            builder.load(accs[a][v]), builder.fmul(dv[v], xb)
                        )
                        builder.store(s, accs[a][v])
            for row, acc in zip(rows, accs, strict=True):
                for v in range(nvec):
                    builder.store(
                        builder.load(acc[v]), vptr(ga.data, row, v), align=size
                    )
            return context.get_dummy_value()

        return sig, codegen

    return tile


# matrix-vector panels: one row of 8, 4, 2, 1 vectors, and 4 float32 columns
_panel8 = _make_tile(1, 8)
_panel4 = _make_tile(1, 4)
_panel2 = _make_tile(1, 2)
_panel1 = _make_tile(1, 1)
_panel_narrow = _make_tile(1, 1, narrow=True)
# weight-gradient tiles: 4 rows of 2 or 1 vectors, or of 4 float32 columns
_tile42 = _make_tile(4, 2)
_tile41 = _make_tile(4, 1)
_tile4n = _make_tile(4, 1, narrow=True)


# The whole recurrence of one sequence at small Nn (issue 14). At Nn = 5 the
# loops of `forward` run the gate functions in 2, 1, 1 and 1 vector iterations
# plus as many scalar remainders, one loop after the other, and every value
# goes through memory between loops (z, the gates, c, tanh c, h), while a
# step's work is one chain, h(t-1) -> gates -> c(t) -> tanh c(t) -> h(t), of
# about 300 cycles. Here the values stay in registers from step to step, the
# weights are loaded once, and the gate functions of a step run side by side:
# each operation is emitted for all their vectors in a row, so that the CPU's
# scheduler holds all the chains at once (emitted one function after the
# other, the same code took 40 % longer at Nn = 5). Vectors of 4 lanes:
#
# - units 0..3 (the "quad"): one vector per gate, lane j = unit j (lanes from
#   Nn on are padding when Nn < 4, never stored);
# - unit 4 (the "slot"): one vector of its four gates, lanes i, f, g, o, the g
#   lane through tanh and the others through the sigmoid; the tanh of its c
#   runs beside the quad's. Below Nn = 5 it runs on zeros and is dropped.
#
# That is 7 vector evaluations of exp per step (the loops: 14 at Nn = 5).
# Nn = 6 and 7 keep the loops: each more unit would be another slot, more code
# to compile for every Nn. The values are those of the loops: every
# pre-activation adds its terms one at a time in the same order (b, W's, then
# R's), the gate functions are `_sigmoid` and `_tanh` lane by lane (the same
# operations in the same order), c and h the same products and sums. Written
# in LLVM IR (plain fmul, fadd, fsub, fdiv, no fast-math flags, so no FMA and
# no reordering), as the tiles above; a function of its own in the module
# (`_call_apart`), so that `forward` compiles in the time it took before.

SMALL_MAX_NN = 5  # the path serves 1 <= Nn <= this


def _vec_gates(builder):
    """``gates(xs, kinds)``: the gate functions on ``<4 x double>`` values.

    ``kinds[n]`` is ``"s"`` (``_sigmoid`` in every lane), ``"t"`` (``_tanh``)
    or ``"m"`` (lanes i, f, g, o of one unit: ``_tanh`` in lane 2, both tails
    computed, one division). Each lane gets the operations of its scalar
    function in their order; each operation is emitted for all of ``xs`` in
    a row.
    """
    dvec = ir.VectorType(ir.DoubleType(), 4)
    ivec = ir.VectorType(ir.IntType(64), 4)
    mixed = ir.Constant(ir.VectorType(ir.IntType(1), 4), [0, 0, 1, 0])
    fabs = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(dvec, [dvec]), "llvm.fabs.v4f64"
    )
    b = builder

    def d(v):
        return ir.Constant(dvec, [float(v)] * 4)

    def i(v):
        return ir.Constant(ivec, [int(v)] * 4)

    def each(fn, *lists):
        return [fn(*args) for args in zip(*lists, strict=True)]

    def pick(kind, tanh_value, sigmoid_value):
        if kind == "t":
            return tanh_value
        if kind == "s":
            return sigmoid_value
        return b.select(mixed, tanh_value, sigmoid_value)

    def gates(xs, kinds):
        ax = each(lambda x: b.call(fabs, [x]), xs)
        # _sigmoid: -|x|; _tanh: -2 |x|
        x = each(
            lambda a, k: pick(
                k,
                None if k == "s" else b.fmul(d(-2.0), a),
                None if k == "t" else b.fneg(a),
            ),
            ax,
            kinds,
        )
        # _exp_reduced
        x = each(lambda v: b.select(b.fcmp_ordered("<", v, d(_X_MIN)), d(_X_MIN), v), x)
        kd = each(lambda v: b.fmul(v, d(_INV_LN2)), x)
        kd = each(lambda v: b.fadd(v, d(_SHIFT)), kd)
        k = each(lambda v: b.sub(b.bitcast(v, ivec), i(_SHIFT_BITS)), kd)
        kd = each(lambda v: b.fsub(v, d(_SHIFT)), kd)
        r = each(lambda v, c: b.fsub(v, b.fmul(c, d(_LN2_HI))), x, kd)
        r = each(lambda v, c: b.fsub(v, b.fmul(c, d(_LN2_LO))), r, kd)
        k1 = each(lambda v: b.fsub(b.fmul(v, d(0.5)), d(0.25)), kd)
        k1 = each(
            lambda v: b.sub(b.bitcast(b.fadd(v, d(_SHIFT)), ivec), i(_SHIFT_BITS)), k1
        )
        s1 = each(lambda v: b.bitcast(b.shl(b.add(v, i(1023)), i(52)), dvec), k1)
        s2 = each(
            lambda v, w: b.bitcast(b.shl(b.add(b.sub(v, w), i(1023)), i(52)), dvec),
            k,
            k1,
        )
        p = [d(_C13)] * len(xs)
        for c in (_C12, _C11, _C10, _C9, _C8, _C7, _C6, _C5, _C4, _C3, _C2):
            p = each(lambda v, w, c=c: b.fadd(d(c), b.fmul(v, w)), r, p)
        m = each(lambda v, w: b.fadd(v, b.fmul(b.fmul(v, v), w)), r, p)
        out = []
        tails = []
        for kind, mv, a1, a2 in zip(kinds, m, s1, s2, strict=True):
            e = den_s = num_t = den_t = None
            if kind != "t":  # _sigmoid: e = exp(-|x|), 1 / (1 + e)
                e = b.fmul(b.fmul(b.fadd(d(1.0), mv), a1), a2)
                den_s = b.fadd(d(1.0), e)
            if kind != "s":  # _tanh: t = expm1(-2|x|), -t / (t + 2)
                s = b.fmul(a1, a2)
                t = b.fadd(b.fsub(s, d(1.0)), b.fmul(s, mv))
                num_t, den_t = b.fsub(d(0.0), t), b.fadd(t, d(2.0))
            tails.append((kind, e, pick(kind, num_t, d(1.0)), pick(kind, den_t, den_s)))
        q = [b.fdiv(num, den) for _, _, num, den in tails]
        for (kind, e, _, _), rv, x0 in zip(tails, q, xs, strict=True):
            neg = pick(
                kind,
                b.fneg(rv) if kind != "s" else None,
                b.fmul(e, rv) if kind != "t" else None,
            )
            out.append(b.select(b.fcmp_ordered(">=", x0, d(0.0)), rv, neg))
        return out

    return gates


def _call_apart(builder, name, args, emit):
    """Call ``name(*args)``, a function of this module made by ``emit(builder,
    its arguments)`` the first time, never inlined: the caller's own code is
    optimized as before (its compile time stays), the loop once, apart."""
    module = builder.module
    fn = module.globals.get(name)
    if fn is None:
        fnty = ir.FunctionType(ir.VoidType(), [a.type for a in args])
        fn = ir.Function(module, fnty, name)
        fn.linkage = "internal"
        fn.attributes.add("noinline")
        inner = ir.IRBuilder(fn.append_basic_block())
        emit(inner, list(fn.args))
        inner.ret_void()
    builder.call(fn, args)


@intrinsic
def _small_steps(typingctx, WT, RT, b, u, h0, c0, act, cs, tcs, ht):
    """The recurrence of one sequence for ``1 <= Nn <= SMALL_MAX_NN``.

    ``WT (Ni, 4Nn)``, ``RT (Nn, 4Nn)`` the transposes of W and R; ``b (4Nn,)``;
    ``u (T, Ni)``; ``h0, c0 (Nn,)``; fills ``act (T, 4Nn)`` with the gates,
    ``cs, tcs (T, Nn)`` with c(t) and tanh c(t), ``ht[t + 1]`` of ``ht (T + 1,
    Nn)`` with h(t) (``ht[0]`` is not written). All C-contiguous, one float
    dtype: sums, c and h in it, gate functions in float64 (then rounded), as
    in :func:`forward`.
    """
    arrays = (WT, RT, b, u, h0, c0, act, cs, tcs, ht)
    if not all(isinstance(a, types.Array) and a.layout == "C" for a in arrays):
        return None
    if len({a.dtype for a in arrays}) != 1 or not isinstance(b.dtype, types.Float):
        return None
    sig = types.void(*arrays)

    def codegen(context, builder, signature, args):
        ary = [
            context.make_array(ty)(context, builder, v)
            for ty, v in zip(signature.args, args, strict=True)
        ]
        nt, ni = cgutils.unpack_tuple(builder, ary[3].shape, 2)
        (nn,) = cgutils.unpack_tuple(builder, ary[4].shape, 1)
        elt = context.get_data_type(signature.args[0].dtype)
        _call_apart(
            builder,
            f"blocksim_lstm_small_steps_{signature.args[0].dtype}",
            [a.data for a in ary] + [nt, ni, nn],
            lambda b, a: _small_loop(context, b, elt, a[:10], *a[10:]),
        )
        return context.get_dummy_value()

    return sig, codegen


def _small_loop(context, builder, elt, data, nt, ni, nn):  # noqa: PLR0915
    """Emit the steps of :func:`_small_steps` for the runtime ``1 <= nn <= 5``.

    The slot is computed at every Nn (beside the quad it costs no time on the
    step's chain); below Nn = 5 its weights are zeros and nothing of it is
    stored or added.
    """
    wt, rt, bb, ua, h0a, c0a, acta, csa, tcsa, hta = data
    wide = elt != ir.DoubleType()  # float32: gates in float64
    size = context.get_abi_sizeof(elt)
    intp = context.get_value_type(types.intp)
    i32 = ir.IntType(32)
    vec = ir.VectorType(elt, 4)
    dvec = ir.VectorType(ir.DoubleType(), 4)
    mvec = ir.VectorType(ir.IntType(1), 4)
    ptr = vec.as_pointer()
    gates = _vec_gates(builder)
    suffix = f"v4{'f32' if wide else 'f64'}.p0"
    mload = cgutils.get_or_insert_function(
        builder.module,
        ir.FunctionType(vec, [ptr, i32, mvec, vec]),
        f"llvm.masked.load.{suffix}",
    )
    mstore = cgutils.get_or_insert_function(
        builder.module,
        ir.FunctionType(ir.VoidType(), [vec, ptr, i32, mvec]),
        f"llvm.masked.store.{suffix}",
    )
    zero = ir.Constant(vec, [0.0] * 4)
    none = ir.Constant(mvec, [0] * 4)

    def const(v):
        return ir.Constant(intp, v)

    def at(base, idx):
        return builder.bitcast(builder.gep(base, [idx]), ptr)

    def splat(v, j):
        lanes = ir.Constant(ir.VectorType(i32, 4), [j] * 4)
        return builder.shuffle_vector(v, v, lanes)

    def broadcast(x):
        return splat(builder.insert_element(zero, x, i32(0)), 0)

    def ext(v):
        return builder.fpext(v, dvec) if wide else v

    def trunc(v):
        return builder.fptrunc(v, vec) if wide else v

    def element(base, idx):
        return builder.gep(base, [idx])

    def var(value):
        slot = cgutils.alloca_once(builder, value.type)
        builder.store(value, slot)
        return slot

    ids = ir.Constant(ir.VectorType(intp, 4), [0, 1, 2, 3])
    mask = builder.icmp_signed(
        "<", ids, splat(builder.insert_element(ids, nn, i32(0)), 0)
    )
    has = [None] + [builder.icmp_signed("<", const(k), nn) for k in range(1, 5)]
    five = has[4]  # the slot holds unit 4

    def load(base, idx, m=mask):
        return builder.call(mload, [at(base, idx), i32(size), m, zero])

    def unit4(base, idxs):
        """``base[idxs]`` as a vector where the slot holds unit 4, else zeros."""
        v = zero
        for lane, idx in enumerate(idxs):
            x = builder.load(element(base, builder.select(five, idx, const(0))))
            v = builder.insert_element(v, x, i32(lane))
        return builder.select(five, v, zero)

    n4 = builder.mul(nn, const(4))
    gate0 = [builder.mul(nn, const(g)) for g in range(4)]
    s_idx = [builder.add(gate0[g], const(4)) for g in range(4)]  # unit 4's gates
    # the weights, loaded once: R's column k for the quad's gates and the slot's
    b_q = [load(bb, gate0[g]) for g in range(4)]
    r_q = []
    for k, ok in enumerate(has):
        row = builder.mul(const(k), n4)
        mk = mask if ok is None else builder.select(ok, mask, none)
        r_q.append([load(rt, builder.add(row, gate0[g]), mk) for g in range(4)])
    b_s = unit4(bb, s_idx)
    r_s = []
    for k in range(5):
        row = builder.mul(const(k), n4)
        r_s.append(unit4(rt, [builder.add(row, i) for i in s_idx]))
    h_q = var(load(h0a, const(0)))
    c_q = var(load(c0a, const(0)))
    states = []
    for base in (h0a, c0a):  # unit 4's h and c, or 0
        x = builder.load(element(base, builder.select(five, const(4), const(0))))
        states.append(var(builder.select(five, x, ir.Constant(elt, 0.0))))
    h_s, c_s = states
    acc = [var(zero) for _ in range(5)]

    with cgutils.for_range(builder, nt) as loop:
        t = loop.index
        for a, v in zip(acc, [*b_q, b_s], strict=True):
            builder.store(v, a)
        u_row = builder.mul(t, ni)
        with cgutils.for_range(builder, ni) as inner:  # b + W u, in order
            w_row = builder.mul(inner.index, n4)
            x = broadcast(builder.load(element(ua, builder.add(u_row, inner.index))))
            ws = [load(wt, builder.add(w_row, gate0[g])) for g in range(4)]
            ws.append(unit4(wt, [builder.add(w_row, i) for i in s_idx]))
            for a, w in zip(acc, ws, strict=True):
                builder.store(builder.fadd(builder.load(a), builder.fmul(w, x)), a)
        # + R h, in order: h[k] from the quad's lane k, or the slot for k = 4
        hq = builder.load(h_q)
        hk = [splat(hq, k) for k in range(4)]
        hk.append(broadcast(builder.load(h_s)))
        z = [builder.load(a) for a in acc]
        for k, ok in enumerate(has):
            for g in range(4):
                s_ = builder.fadd(z[g], builder.fmul(r_q[k][g], hk[k]))
                z[g] = s_ if ok is None else builder.select(ok, s_, z[g])
            z[4] = builder.fadd(z[4], builder.fmul(r_s[k], hk[k]))
        zi, zf, zg, zo, zs = (
            trunc(v) for v in gates([ext(v) for v in z], list("sstsm"))
        )
        cq = builder.fadd(builder.fmul(zf, builder.load(c_q)), builder.fmul(zi, zg))
        i4, f4, g4, o4 = (builder.extract_element(zs, i32(g)) for g in range(4))
        c4 = builder.fadd(builder.fmul(f4, builder.load(c_s)), builder.fmul(i4, g4))
        c4v = builder.insert_element(zero, c4, i32(0))
        tq, t4v = (trunc(v) for v in gates([ext(cq), ext(c4v)], ["t", "t"]))
        hq = builder.fmul(zo, tq)
        t4 = builder.extract_element(t4v, i32(0))
        h4 = builder.fmul(o4, t4)
        for v, where in ((cq, c_q), (hq, h_q), (c4, c_s), (h4, h_s)):
            builder.store(v, where)
        a_row = builder.mul(t, n4)
        c_row = builder.mul(t, nn)
        h_row = builder.add(c_row, nn)
        quad = [
            (v, acta, builder.add(a_row, gate0[g]))
            for g, v in enumerate((zi, zf, zg, zo))
        ]
        quad += [(cq, csa, c_row), (tq, tcsa, c_row), (hq, hta, h_row)]
        with builder.if_else(builder.icmp_signed(">=", nn, const(4))) as (full, part):
            with full:
                for v, base, idx in quad:
                    builder.store(v, at(base, idx), align=size)
            with part:
                for v, base, idx in quad:
                    builder.call(mstore, [v, at(base, idx), i32(size), mask])
        with builder.if_then(five):
            for g, v in enumerate((i4, f4, g4, o4)):
                builder.store(v, element(acta, builder.add(a_row, s_idx[g])))
            for v, base, row in ((c4, csa, c_row), (t4, tcsa, c_row), (h4, hta, h_row)):
                builder.store(v, element(base, builder.add(row, const(4))))


@intrinsic
def _small_back(typingctx, R, F, c0, act, cs, tcs, err, scale):
    """The recurrence of backpropagation of one sequence for ``1 <= Nn <= 5``,
    float64; returns False, doing nothing, in float32.

    ``R (4Nn, Nn)``, ``F (No, Nn)``, ``c0 (Nn,)``; ``act (T, 4Nn)`` the gates
    in, dz out; ``cs, tcs (T, Nn)``, ``err (T, No)`` as :func:`forward` left
    them; ``scale`` = 2 / (B T No). With dh(T-1)... as :func:`backward`'s
    loop: dh(t) = dh_next + F' (scale e(t)), the same dz(t), and
    ``dh_next = R' dz(t)`` summed over k = 0, 1, ..., 4Nn - 1 from 0.0, each
    unit in one lane (the quad, as in :func:`_small_steps`) or alone (unit
    4). The gradients of F, bF and b are left to the caller.
    """
    arrays = (R, F, c0, act, cs, tcs, err)
    if not all(isinstance(a, types.Array) and a.layout == "C" for a in arrays):
        return None
    if len({a.dtype for a in arrays}) != 1 or not isinstance(scale, types.Float):
        return None
    sig = types.boolean(*arrays, scale)
    f64 = R.dtype == types.float64

    def codegen(context, builder, signature, args):
        if not f64:  # float32 mixes precisions (float64 literals): the loops
            return ir.Constant(ir.IntType(1), 0)
        ary = [
            context.make_array(ty)(context, builder, v)
            for ty, v in zip(signature.args[:7], args[:7], strict=True)
        ]
        nt, no = cgutils.unpack_tuple(builder, ary[6].shape, 2)
        (nn,) = cgutils.unpack_tuple(builder, ary[2].shape, 1)
        _call_apart(
            builder,
            "blocksim_lstm_small_back_float64",
            [a.data for a in ary] + [nt, no, nn, args[7]],
            lambda b, a: _small_back_loop(context, b, a[:7], *a[7:]),
        )
        return ir.Constant(ir.IntType(1), 1)

    return sig, codegen


def _small_back_loop(context, builder, data, nt, no, nn, scale):  # noqa: PLR0915
    """Emit the steps of :func:`_small_back` (float64, runtime ``nn <= 5``)."""
    ra, fa, c0a, acta, csa, tcsa, erra = data
    dbl = ir.DoubleType()
    intp = context.get_value_type(types.intp)
    i32 = ir.IntType(32)
    vec = ir.VectorType(dbl, 4)
    mvec = ir.VectorType(ir.IntType(1), 4)
    ptr = vec.as_pointer()
    mload = cgutils.get_or_insert_function(
        builder.module,
        ir.FunctionType(vec, [ptr, i32, mvec, vec]),
        "llvm.masked.load.v4f64.p0",
    )
    mstore = cgutils.get_or_insert_function(
        builder.module,
        ir.FunctionType(ir.VoidType(), [vec, ptr, i32, mvec]),
        "llvm.masked.store.v4f64.p0",
    )
    zero = ir.Constant(vec, [0.0] * 4)
    one = ir.Constant(vec, [1.0] * 4)
    fzero = ir.Constant(dbl, 0.0)
    fone = ir.Constant(dbl, 1.0)

    def const(v):
        return ir.Constant(intp, v)

    def at(base, idx):
        return builder.bitcast(builder.gep(base, [idx]), ptr)

    def splat(v, j):
        lanes = ir.Constant(ir.VectorType(i32, 4), [j] * 4)
        return builder.shuffle_vector(v, v, lanes)

    def broadcast(x):
        return splat(builder.insert_element(zero, x, i32(0)), 0)

    def var(value):
        slot = cgutils.alloca_once(builder, value.type)
        builder.store(value, slot)
        return slot

    ids = ir.Constant(ir.VectorType(intp, 4), [0, 1, 2, 3])
    mask = builder.icmp_signed(
        "<", ids, splat(builder.insert_element(ids, nn, i32(0)), 0)
    )
    has = [builder.icmp_signed("<", const(j), nn) for j in range(5)]
    five = has[4]  # unit 4 is there

    def load(base, idx):
        return builder.call(mload, [at(base, idx), i32(8), mask, zero])

    def load4(base, idx):
        """``base[idx]`` of unit 4, or 0."""
        x = builder.load(builder.gep(base, [builder.select(five, idx, const(0))]))
        return builder.select(five, x, fzero)

    gate0 = [builder.mul(nn, const(g)) for g in range(4)]
    n4 = builder.mul(nn, const(4))
    # R's rows k = g Nn + j in the order of k: units 0..3 (lanes) and unit 4
    rows = []
    for g in range(4):
        for j in range(5):
            k = builder.add(gate0[g], const(j))
            row = builder.mul(k, nn)
            ok = has[j]
            m = builder.select(ok, mask, ir.Constant(mvec, [0] * 4))
            quad = builder.call(mload, [at(ra, row), i32(8), m, zero])
            rows.append((ok, j, g, quad, load4(ra, builder.add(row, const(4)))))
    dh_q, dc_q = var(zero), var(zero)  # dh_next, dc_next
    dh_s, dc_s = var(fzero), var(fzero)
    acc_q, acc_s = var(zero), var(fzero)

    with cgutils.for_range(builder, nt) as loop:
        t = builder.sub(builder.sub(nt, const(1)), loop.index)  # T-1 .. 0
        builder.store(builder.load(dh_q), acc_q)
        builder.store(builder.load(dh_s), acc_s)
        with cgutils.for_range(builder, no) as inner:  # dh += F[q] (scale e)
            q = inner.index
            d = builder.fmul(
                scale,
                builder.load(builder.gep(erra, [builder.add(builder.mul(t, no), q)])),
            )
            f_row = builder.mul(q, nn)
            fq = load(fa, f_row)
            builder.store(
                builder.fadd(builder.load(acc_q), builder.fmul(fq, broadcast(d))), acc_q
            )
            f4 = load4(fa, builder.add(f_row, const(4)))
            builder.store(builder.fadd(builder.load(acc_s), builder.fmul(f4, d)), acc_s)
        dhq, dhs = builder.load(acc_q), builder.load(acc_s)
        a_row = builder.mul(t, n4)
        c_row = builder.mul(t, nn)
        first = builder.icmp_signed("==", t, const(0))
        cp_base = builder.select(first, c0a, builder.gep(csa, [builder.sub(c_row, nn)]))
        a_idx = [builder.add(a_row, gate0[g]) for g in range(4)]
        quad = [load(acta, i) for i in a_idx] + [
            load(tcsa, c_row),
            load(cp_base, const(0)),
        ]
        slot = [load4(acta, builder.add(i, const(4))) for i in a_idx]
        slot += [load4(tcsa, builder.add(c_row, const(4))), load4(cp_base, const(4))]

        def dz(dh, dc_next, ig, fg, gg, og, tc, cp, one):
            b = builder
            dc = b.fadd(b.fmul(b.fmul(dh, og), b.fsub(one, b.fmul(tc, tc))), dc_next)
            zi = b.fmul(b.fmul(b.fmul(dc, gg), ig), b.fsub(one, ig))
            zf = b.fmul(b.fmul(b.fmul(dc, cp), fg), b.fsub(one, fg))
            zg = b.fmul(b.fmul(dc, ig), b.fsub(one, b.fmul(gg, gg)))
            zo = b.fmul(b.fmul(b.fmul(dh, tc), og), b.fsub(one, og))
            return (zi, zf, zg, zo), b.fmul(dc, fg)

        dz_q, dcq = dz(dhq, builder.load(dc_q), *quad, one)
        dz_s, dcs = dz(dhs, builder.load(dc_s), *slot, fone)
        builder.store(dcq, dc_q)
        builder.store(dcs, dc_s)
        # dh_next = R' dz: from 0.0, over k in order
        hq, hs = zero, fzero
        dzs_v = zero
        for g in range(4):
            dzs_v = builder.insert_element(dzs_v, dz_s[g], i32(g))
        for ok, j, g, rq, r4 in rows:
            x = splat(dz_q[g], j) if j < 4 else splat(dzs_v, g)
            xs = builder.extract_element(x, i32(0))
            hq = builder.select(ok, builder.fadd(hq, builder.fmul(rq, x)), hq)
            hs = builder.select(ok, builder.fadd(hs, builder.fmul(r4, xs)), hs)
        builder.store(hq, dh_q)
        builder.store(hs, dh_s)
        with builder.if_else(builder.icmp_signed(">=", nn, const(4))) as (full, part):
            with full:
                for v, i in zip(dz_q, a_idx, strict=True):
                    builder.store(v, at(acta, i), align=8)
            with part:
                for v, i in zip(dz_q, a_idx, strict=True):
                    builder.call(mstore, [v, at(acta, i), i32(8), mask])
        with builder.if_then(five):
            for v, i in zip(dz_s, a_idx, strict=True):
                builder.store(v, builder.gep(acta, [builder.add(i, const(4))]))


@njit(cache=True, forceinline=True, error_model="numpy")
def _panel_width(m, k0, lanes):
    """Columns of the panel starting at ``k0`` of ``m`` (``m - k0`` a multiple of 4).

    Full panels of ``8 lanes`` columns, then at most one each of 4, 2, 1 lanes
    (and 4 columns in float32)."""
    r = m - k0
    w = 8 * lanes
    while w > r and w > 4:
        w //= 2
    return w


@njit(cache=True, forceinline=True, error_model="numpy")
def _pack_panels(P, S, n, m, trans):
    """Store the ``(n, m)`` matrix ``A = S`` (or ``S.T`` if ``trans``) as panels.

    The panel of columns ``k0 : k0 + w`` (widths by :func:`_panel_width`) is
    ``A[:, k0 : k0 + w]`` row-major from flat element ``k0 * n`` of ``P``
    (C-contiguous, at least ``n * m`` elements).
    """
    lanes = _VEC_BYTES // P.itemsize
    cols = P.shape[1]
    r = 0
    c = 0
    k0 = 0
    while k0 < m:
        w = _panel_width(m, k0, lanes)
        for i in range(n):
            for kk in range(w):
                P[r, c] = S[k0 + kk, i] if trans else S[i, k0 + kk]
                c += 1
                if c == cols:
                    c = 0
                    r += 1
        k0 += w


@njit(cache=True, forceinline=True, error_model="numpy")
def _add_panels(z, P, x, m, backwards):
    """``z[k] += A[0, k] x[0] + A[1, k] x[1] + ...`` for ``k < m``, terms in order.

    ``A (n, m)`` as :func:`_pack_panels` stored it in ``P``; ``z (>= m,)``,
    ``x (n,)``. ``backwards``: the panels from the last to the first (same
    bytes: each output is summed alone).
    """
    n = x.shape[0]
    lanes = _VEC_BYTES // P.itemsize
    full = 8 * lanes
    m_full = m - m % full
    k0 = m_full if backwards else 0
    while k0 < m:  # forwards: all panels; backwards: the narrower tail first
        w = _panel_width(m, k0, lanes)
        p0 = k0 * n
        if w == full:
            _panel8(z, P, x, k0, 0, p0, w, 0, 1, 0, n)
        elif w == full // 2:
            _panel4(z, P, x, k0, 0, p0, w, 0, 1, 0, n)
        elif w == full // 4:
            _panel2(z, P, x, k0, 0, p0, w, 0, 1, 0, n)
        elif w == lanes:
            _panel1(z, P, x, k0, 0, p0, w, 0, 1, 0, n)
        else:
            _panel_narrow(z, P, x, k0, 0, p0, w, 0, 1, 0, n)
        k0 += w
    if backwards:
        k0 = m_full
        while k0 > 0:
            k0 -= full
            _panel8(z, P, x, k0, 0, k0 * n, full, 0, 1, 0, n)


@njit(cache=True, forceinline=True, error_model="numpy")
def _add_outer_rows(G, D, X, t_hi):
    """``G[j, k] += D[t, k] X[t, j]`` for ``t = t_hi, t_hi - 1, ..., 0`` in order.

    ``G (n, m)``, ``D (T, m)``, ``X (T, n)``: the weight gradient of one sequence,
    steps taken backwards in time as backpropagation meets them. Eight steps per
    pass over ``G``; used below ``TILE_MIN_NN`` (tiles, :func:`_add_outer`,
    measured slower there).
    """
    n = G.shape[0]
    m = G.shape[1]
    t = t_hi
    while t >= 7:
        d0, d1, d2, d3 = D[t], D[t - 1], D[t - 2], D[t - 3]
        d4, d5, d6, d7 = D[t - 4], D[t - 5], D[t - 6], D[t - 7]
        for j in range(n):
            x0, x1, x2, x3 = X[t, j], X[t - 1, j], X[t - 2, j], X[t - 3, j]
            x4, x5, x6, x7 = X[t - 4, j], X[t - 5, j], X[t - 6, j], X[t - 7, j]
            g = G[j]
            for k in range(m):
                s = ((g[k] + d0[k] * x0) + d1[k] * x1) + d2[k] * x2
                s = ((s + d3[k] * x3) + d4[k] * x4) + d5[k] * x5
                g[k] = (s + d6[k] * x6) + d7[k] * x7
        t -= 8
    while t >= 0:
        d0 = D[t]
        for j in range(n):
            x0 = X[t, j]
            g = G[j]
            for k in range(m):
                g[k] += d0[k] * x0
        t -= 1


_OUTER_STEPS = 64  # steps per pass of the weight-gradient tiles over G


@njit(cache=True, forceinline=True, error_model="numpy")
def _add_outer(G, D, X, t_hi):
    """``G[j, k] += D[t, k] X[t, j]`` for ``t = t_hi, t_hi - 1, ..., 0`` in order.

    ``G (n, m)``, ``D (T, m)``, ``X (T', n)``, C-contiguous, ``m`` a multiple
    of 4: the weight gradient of one sequence, steps taken backwards in time
    as backpropagation meets them. Tiles of 4 rows by 8 columns (float32: 16)
    of ``G`` are held in registers for 64 steps at a time (the steps' rows of
    ``D`` and ``X`` stay in L1 and L2 meanwhile); each entry still adds its
    terms one at a time in the order of ``t``.
    """
    n = G.shape[0]
    m = G.shape[1]
    xw = X.shape[1]
    lanes = _VEC_BYTES // G.itemsize
    t = t_hi
    while t >= 0:
        cnt = min(_OUTER_STEPS, t + 1)
        k0 = 0
        while k0 < m:
            w = 2 * lanes
            while w > m - k0:
                w //= 2
            d0 = t * m + k0
            x0 = t * xw
            j0 = 0
            while j0 + 4 <= n:
                g0 = j0 * m + k0
                if w == 2 * lanes:
                    _tile42(G, D, X, g0, m, d0, -m, x0 + j0, -xw, 1, cnt)
                elif w == lanes:
                    _tile41(G, D, X, g0, m, d0, -m, x0 + j0, -xw, 1, cnt)
                else:
                    _tile4n(G, D, X, g0, m, d0, -m, x0 + j0, -xw, 1, cnt)
                j0 += 4
            while j0 < n:
                g0 = j0 * m + k0
                if w == 2 * lanes:
                    _panel2(G, D, X, g0, 0, d0, -m, x0 + j0, -xw, 0, cnt)
                elif w == lanes:
                    _panel1(G, D, X, g0, 0, d0, -m, x0 + j0, -xw, 0, cnt)
                else:
                    _panel_narrow(G, D, X, g0, 0, d0, -m, x0 + j0, -xw, 0, cnt)
                j0 += 1
            k0 += w
        t -= cnt


@njit(cache=True, forceinline=True, error_model="numpy")
def _small_backward(R, F, c0, act, cs, tcs, ht, err, gF, gbF, gb, scale):  # noqa: PLR0913
    """One sequence of :func:`backward`'s loop by :func:`_small_back`, then
    F's, bF's and b's gradients, added as that loop adds them (t = T-1 .. 0);
    False, doing nothing, where :func:`_small_back` does nothing (float32)."""
    if not _small_back(R, F, c0, act, cs, tcs, err, scale):
        return False
    for t in range(err.shape[0] - 1, -1, -1):
        et = err[t]
        h = ht[t + 1]
        for q in range(et.shape[0]):
            e = et[q]
            gfq = gF[q]
            for j in range(h.shape[0]):
                gfq[j] += e * h[j]
            gbF[q] += e
        dz = act[t]
        for k in range(dz.shape[0]):
            gb[k] += dz[k]
    return True


@njit(cache=True, forceinline=True, error_model="numpy")
def _output(F, bF, h, yt, et, sse):
    """The output errors ``et (No,)`` at hidden state ``h (Nn,)`` against ``yt``;
    return ``sse`` plus their squares, added in order (in float64)."""
    for q in range(F.shape[0]):
        s = bF[q]
        fq = F[q]
        for j in range(h.shape[0]):
            s += fq[j] * h[j]
        e = s - yt[q]
        et[q] = e
        ee = float(et[q])
        sse += ee * ee
    return sse


@njit(cache=True, error_model="numpy")
def forward(W, R, b, F, bF, WT, RT, u, y, h0, c0, act, cs, tcs, ht, err):  # noqa: PLR0913
    """Run the layer on every sequence; fill the buffers; return the mean loss.

    Shapes: weights ``W (4Nn, Ni)``, ``R (4Nn, Nn)``, ``b (4Nn,)``,
    ``F (No, Nn)``, ``bF (No,)``; scratch ``WT (Ni, 4Nn)``, ``RT (Nn, 4Nn)``
    (W's transpose and R's in panels go there); ``u (B, T, Ni)``, ``y (B, T, No)``,
    ``h0, c0 (Nn,)``; ``act (B, T, 4Nn)`` gate activations, ``cs, tcs (B, T,
    Nn)`` c(t) and tanh(c(t)), ``ht (B, T + 1, Nn)`` hidden states with
    ``ht[:, 0] = h0`` and ``ht[:, t + 1] = h(t)``, ``err (B, T, No)`` output
    errors. All arrays have the kernels' dtype, float64 or float32; the loss
    is summed in float64.

    Each pre-activation is summed in one fixed order,
    ``b[k] + W[k, 0] u[0] + ... + R[k, 0] h[0] + ...``; the loops run over k
    innermost so that the CPU computes many k at once without reordering a sum.
    Gate functions are computed in float64 (and rounded to float32 in that mode).
    At ``Nn <= SMALL_MAX_NN`` the recurrence runs in :func:`_small_steps`
    (the same values, in registers).
    """
    nb, nt, ni = u.shape
    nn = h0.shape[0]
    no = y.shape[2]
    n4 = 4 * nn
    for k in range(n4):
        for j in range(ni):
            WT[j, k] = W[k, j]
    small = nn <= SMALL_MAX_NN
    panels = nn >= FORWARD_PANEL_MIN_NN and not small
    if panels:
        _pack_panels(RT, R, nn, n4, True)  # R' in panels of its columns
    else:
        for k in range(n4):
            for j in range(nn):
                RT[j, k] = R[k, j]
    sse = 0.0
    for bb in range(nb):
        h_init = ht[bb, 0]
        for j in range(nn):  # a loop, not a slice copy (whose shape check costs
            h_init[j] = h0[j]  # seconds of compiling)
        if small:
            _small_steps(WT, RT, b, u[bb], h0, c0, act[bb], cs[bb], tcs[bb], ht[bb])
            for t in range(nt):
                sse = _output(F, bF, ht[bb, t + 1], y[bb, t], err[bb, t], sse)
            continue
        for t in range(nt):
            hp = ht[bb, t]  # h(t-1)
            z = act[bb, t]
            for k in range(n4):
                z[k] = b[k]
            _add_rows(z, WT, u[bb, t])
            if panels:
                _add_panels(z, RT, hp, n4, (bb * nt + t) & 1)
            else:
                _add_rows(z, RT, hp)
            # gate by gate over views starting at 0: a loop over range(lo, hi)
            # indexes z[k] with a k the compiler cannot prove >= 0, and then
            # does not vectorize. Gates i and f are adjacent: one loop.
            zif, zg, zo = z[: 2 * nn], z[2 * nn : 3 * nn], z[3 * nn :]
            for j in range(2 * nn):
                zif[j] = _sigmoid(float(zif[j]))
            for j in range(nn):
                zg[j] = _tanh(float(zg[j]))
            for j in range(nn):
                zo[j] = _sigmoid(float(zo[j]))
            zi, zf = zif[:nn], zif[nn:]
            cp = c0 if t == 0 else cs[bb, t - 1]
            ct = cs[bb, t]
            tc = tcs[bb, t]
            h = ht[bb, t + 1]
            for j in range(nn):
                ct[j] = zf[j] * cp[j] + zi[j] * zg[j]
            for j in range(nn):
                tc[j] = _tanh(float(ct[j]))
            for j in range(nn):
                h[j] = zo[j] * tc[j]
            sse = _output(F, bF, h, y[bb, t], err[bb, t], sse)
    return sse / (nb * nt * no)


@njit(cache=True, error_model="numpy")
def backward(  # noqa: PLR0913
    R,
    F,
    gW,
    gR,
    gb,
    gF,
    gbF,
    gWT,
    gRT,
    RP,
    dh,
    dh_next,
    dc_next,
    u,
    c0,
    act,
    cs,
    tcs,
    ht,
    err,
):
    """Backpropagation through time of the mean loss into the gradient arrays.

    ``gW, gR, gb, gF, gbF`` receive the gradients (the shapes of W, R, b, F,
    bF); ``gWT (Ni, 4Nn)``, ``gRT (Nn, 4Nn)``, ``dh, dh_next, dc_next (Nn,)``
    are scratch; ``u (B, T, Ni)`` is the input; the other buffers as
    :func:`forward` filled them; ``act[b, t]`` is overwritten with the
    pre-activation gradient dz(t) (the gate values are not needed after step
    t). The weight gradients are accumulated step by step, sequence by
    sequence (b = 0, 1, ..., then t = T-1, ..., 0 within each): every entry
    sums its terms in that order (for W and R after each sequence's
    recurrence, from the stored dz). From ``Nn = PANEL_MIN_NN`` on, a copy of
    R in panels (in ``RP``, written at every call) serves ``R' dz``; at ``Nn
    <= SMALL_MAX_NN`` in float64 the recurrence runs in :func:`_small_back`
    (the same values). The kernel allocates nothing.
    """
    nb, nt, ni = u.shape
    no = err.shape[2]
    nn = c0.shape[0]
    n4 = 4 * nn
    scale = 2.0 / (nb * nt * no)
    gb.fill(0.0)
    gF.fill(0.0)
    gbF.fill(0.0)
    gWT.fill(0.0)
    gRT.fill(0.0)
    panels = nn >= PANEL_MIN_NN
    n_pan = nn - nn % 4 if panels else 0  # columns of R taken in panels
    _pack_panels(RP, R, n4, n_pan, False)
    small = nn <= SMALL_MAX_NN
    for bb in range(nb):
        dh_next.fill(0.0)
        dc_next.fill(0.0)
        if small and _small_backward(
            R, F, c0, act[bb], cs[bb], tcs[bb], ht[bb], err[bb], gF, gbF, gb, scale
        ):
            pass  # float64: done there
        else:
            for t in range(nt - 1, -1, -1):
                et = err[bb, t]
                h = ht[bb, t + 1]  # h(t)
                for j in range(nn):
                    dh[j] = dh_next[j]
                for q in range(no):
                    e = et[q]
                    d = scale * e
                    fq = F[q]
                    gfq = gF[q]
                    for j in range(nn):
                        dh[j] += fq[j] * d
                        gfq[j] += e * h[j]  # scaled once at the end
                    gbF[q] += e
                dz = act[bb, t]  # the gates at t in, dz(t) out
                tc = tcs[bb, t]
                cp = c0 if t == 0 else cs[bb, t - 1]
                zi, zf, zg, zo = (
                    dz[:nn],
                    dz[nn : 2 * nn],
                    dz[2 * nn : 3 * nn],
                    dz[3 * nn :],
                )
                for j in range(nn):
                    ig = zi[j]
                    fg = zf[j]
                    gg = zg[j]
                    og = zo[j]
                    dc = dh[j] * og * (1.0 - tc[j] * tc[j]) + dc_next[j]
                    zi[j] = dc * gg * ig * (1.0 - ig)
                    zf[j] = dc * cp[j] * fg * (1.0 - fg)
                    zg[j] = dc * ig * (1.0 - gg * gg)
                    zo[j] = dh[j] * tc[j] * og * (1.0 - og)
                    dc_next[j] = dc * fg
                # dh(t-1) = R' dz: each dh_next[j] sums over k in order 0..4Nn-1
                dh_next.fill(0.0)
                if panels:
                    _add_panels(dh_next, RP, dz, n_pan, (bb * nt + t) & 1)
                    for k in range(n4):  # the last Nn mod 4 columns
                        rk = R[k]
                        dk = dz[k]
                        for j in range(n_pan, nn):
                            dh_next[j] += rk[j] * dk
                else:
                    _add_rows(dh_next, R, dz)
                for k in range(n4):
                    gb[k] += dz[k]
        if nn >= TILE_MIN_NN:
            _add_outer(gWT, act[bb], u[bb], nt - 1)
            _add_outer(gRT, act[bb], ht[bb], nt - 1)  # ht[bb, t] = h(t-1)
        else:
            _add_outer_rows(gWT, act[bb], u[bb], nt - 1)
            _add_outer_rows(gRT, act[bb], ht[bb], nt - 1)
    for k in range(n4):
        for j in range(ni):
            gW[k, j] = gWT[j, k]
        for j in range(nn):
            gR[k, j] = gRT[j, k]
    for q in range(no):
        for j in range(nn):
            gF[q, j] *= scale
        gbF[q] *= scale


@njit(cache=True, forceinline=True, error_model="numpy")
def regularize_and_clip(theta, grad, seg, active, decay, l2, clip_mode, threshold):
    """Add L2 regularization, zero frozen arrays, clip; in place on ``grad``.

    ``seg (5, 2)`` holds each array's [start, stop) in theta (W, R, b, F, bF);
    ``active (5,)`` is 1 for trained arrays, 0 for frozen ones; ``decay (5,)`` is
    1 where the L2 regularization ``l2 * theta`` applies (weights, not biases).
    Sums of squares run in index order.
    """
    n_arr = seg.shape[0]
    total = 0.0
    for a in range(n_arr):
        lo = seg[a, 0]
        hi = seg[a, 1]
        if active[a] == 0:
            for k in range(lo, hi):
                grad[k] = 0.0
            continue
        if l2 != 0.0 and decay[a] != 0:
            for k in range(lo, hi):
                grad[k] += l2 * theta[k]
        ss = 0.0
        for k in range(lo, hi):
            ss += grad[k] * grad[k]
        total += ss
        if clip_mode == CLIP_L2NORM:
            norm = _sqrt(ss)
            if norm > threshold:
                fac = threshold / norm
                ga = grad[lo:hi]
                for k in range(hi - lo):
                    ga[k] *= fac
    if clip_mode == CLIP_GLOBAL:
        norm = _sqrt(total)
        if norm > threshold:
            fac = threshold / norm
            for k in range(grad.shape[0]):
                grad[k] *= fac


@njit(cache=True, error_model="numpy")
def update(  # noqa: PLR0913
    theta,
    grad,
    m,
    v,
    step,
    lr,
    beta1,
    beta2,
    eps,
    seg,
    active,
    decay,
    l2,
    clip_mode,
    threshold,
):
    """Regularize and clip ``grad``, then one Adam step on ``theta``; in place.

    Adam is bias-corrected, ``eps`` added to ``sqrt(v_hat)``; ``step`` is the
    1-based update count; frozen arrays keep theta, m and v. Returns False,
    before updating anything but ``grad``, when the clipped gradient is not
    finite (theta, m, v are then left as they were). Arrays as in
    :func:`regularize_and_clip`; ``grad, m, v (P,)`` float64.
    """
    regularize_and_clip(theta, grad, seg, active, decay, l2, clip_mode, threshold)
    for k in range(grad.shape[0]):
        if not math.isfinite(grad[k]):
            return False
    bc1 = 1.0 - powi(beta1, step)
    bc2 = 1.0 - powi(beta2, step)
    for a in range(seg.shape[0]):
        if active[a] == 0:
            continue
        lo = seg[a, 0]
        hi = seg[a, 1]
        # views from 0: the loop vectorizes (see forward)
        ga, ma, va, ta = grad[lo:hi], m[lo:hi], v[lo:hi], theta[lo:hi]
        for k in range(hi - lo):
            g = ga[k]
            ma[k] = beta1 * ma[k] + (1.0 - beta1) * g
            va[k] = beta2 * va[k] + (1.0 - beta2) * g * g
            ta[k] -= lr * (ma[k] / bc1) / (_sqrt(va[k] / bc2) + eps)
    return True
