"""The compiled training kernels as a file of machine code, run without numba.

Importing numba and loading the kernels from its cache costs about 0.8 s in
every process. So whoever compiles the kernels (:func:`build`: the child
process of a first ``train``, or a run that waits for them) also writes their
machine code to one file in the user's cache folder:

- for each of ``forward``, ``backward`` and ``update``, the object code numba's
  cache holds (numba compiles it, or loads it from its cache, in that process):
  the very code numba's dispatcher runs;
- three small C-callable wrappers, ``double blocksim_lstm_<kernel>(void **p,
  int64 *s, double *d)``, generated as LLVM IR with numba's own data models and
  calling convention: they build numba's array structures from pointers and
  shapes, read the scalars from ``s`` and ``d``, and call the kernel.

:func:`load` links that file into the process with llvmlite (the LLVM binding
numba itself uses; about 10 ms) and returns :class:`NativeKernels`, whose
``forward``, ``backward`` and ``update`` take the same arguments as numba's and
return the same values (a test compares every byte); ``bind`` converts the
arguments once for a chunk of epochs.

The file's name is a hash of everything the machine code depends on (the
sources of the kernels, of their constants and of this module, numba,
llvmlite, Python, the target CPU and numba's CPU settings, the dtype). Its
first line is a JSON header: the dtype, the objects' sizes, the symbols they
need from the process, and a SHA-256 of the objects, checked before LLVM reads
them. Every failure to build or load (no llvmlite, no numba cache, a symbol the
process lacks, a damaged file, a file of that name that is not ours: it is
never replaced) returns None, and the caller runs numba's kernels.

The kernels' objects also hold numba's CPython entry points and error paths,
which call numba's helpers (``numba_*``, ``NRT_*``); only numba's dispatcher
calls those entry points, and the kernels raise nothing, so those helpers are
given an address that aborts. The kernels allocate nothing: :func:`build`
writes no file for kernels that call one of numba's allocators.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._files import cache_folder, write_atomic

# name: kind. "1" .. "3": an array of that many dimensions in the kernels'
# dtype; "1d": float64 array; "1i", "2i": int64 arrays; "i": int64 scalar;
# "f": float64 scalar.
_SPECS: dict[str, tuple[tuple[str, str], ...]] = {
    "forward": tuple(
        (n, k)
        for n, k in zip(
            "W R b F bF WT RT u y h0 c0 act cs tcs ht err".split(),
            "2 2 1 2 1 2 2 3 3 1 1 3 3 3 3 3".split(),
            strict=True,
        )
    ),
    "backward": tuple(
        (n, k)
        for n, k in zip(
            "R F gW gR gb gF gbF gWT gRT RP dh dh_next dc_next u c0 act cs tcs ht "
            "err".split(),
            "2 2 2 2 1 2 1 2 2 2 1 1 1 3 1 3 3 3 3 3".split(),
            strict=True,
        )
    ),
    "update": tuple(
        (n, k)
        for n, k in zip(
            "theta grad m v step lr beta1 beta2 eps seg active decay l2 clip_mode "
            "threshold".split(),
            "1d 1d 1d 1d i f f f f 2i 1i 1i f i f".split(),
            strict=True,
        )
    ),
}
"""Each kernel's arguments, in order, with their kinds."""

_RESULT = {"forward": "float", "backward": "none", "update": "bool"}

_ALLOCATORS = frozenset(
    {
        "NRT_Allocate",
        "NRT_MemInfo_alloc",
        "NRT_MemInfo_alloc_aligned",
        "NRT_MemInfo_alloc_safe_aligned",
        "NRT_MemInfo_new",
        "NRT_MemInfo_varsize_alloc",
    }
)
"""numba's allocators: a kernel that calls one needs numba's runtime."""


_KINDS = ("functions", "data")  # of the foreign symbols


def _array_kinds(kind: str, dtype: str) -> tuple[int, str]:
    """(dimensions, numpy dtype name) of an array kind."""
    if kind[-1] == "d":
        return int(kind[:-1]), "float64"
    if kind[-1] == "i":
        return int(kind[:-1]), "int64"
    return int(kind), dtype


def _numba_cpu() -> tuple[str, str]:
    """The CPU name and features numba compiles for (its settings or the host)."""
    import llvmlite.binding as llvm

    name = os.environ.get("NUMBA_CPU_NAME", "") or llvm.get_host_cpu_name()
    features = os.environ.get("NUMBA_CPU_FEATURES", "")
    if not features and "NUMBA_CPU_NAME" not in os.environ:
        features = llvm.get_host_cpu_features().flatten()
    return name, features


def path(dtype: str) -> Path:
    """Where the machine code of the kernels in ``dtype`` is kept.

    Raises
    ------
    ImportError
        Without llvmlite (the file could be neither written nor read).
    """
    here = Path(__file__).resolve()
    key = hashlib.sha256()
    for source in ("_kernels.py", "_clipcodes.py", here.name):  # what the code is
        key.update(here.with_name(source).read_bytes())
    versions = []
    for dist in ("numba", "llvmlite"):
        try:
            versions.append(importlib.metadata.version(dist))
        except importlib.metadata.PackageNotFoundError:
            versions.append("?")
    for part in (
        *versions,
        sys.version,
        sys.executable,
        *_numba_cpu(),
        os.environ.get("NUMBA_OPT", ""),
        str(here),
        dtype,
    ):
        key.update(part.encode() + b"\0")
    return cache_folder() / f"training-kernels-{dtype}-{key.hexdigest()[:20]}.o"


def _numba_types(name: str, dtype: str) -> tuple[Any, ...]:
    """numba's argument types of kernel ``name`` as a workspace calls it."""
    from numba import types

    scalars = {"i": types.int64, "f": types.float64}
    dtypes: dict[str, Any] = {
        "float64": types.float64,
        "float32": types.float32,
        "int64": types.int64,
    }
    out: list[Any] = []
    for _arg, kind in _SPECS[name]:
        if kind in scalars:
            out.append(scalars[kind])
        else:
            ndim, dt = _array_kinds(kind, dtype)
            out.append(types.Array(dtypes[dt], ndim, "C"))
    return tuple(out)


def _kernel_object(name: str, dtype: str) -> tuple[bytes, Any, bytes] | None:
    """numba's machine code of kernel ``name``: (object, function descriptor,
    bitcode), as its cache holds them after compiling (or loading) it here."""
    from . import _kernels

    dispatcher = getattr(_kernels, name)
    argtypes = _numba_types(name, dtype)
    dispatcher.compile(argtypes)
    cache = dispatcher._cache
    codegen = dispatcher.targetctx.codegen()
    payload = cache._cache_file.load(cache._index_key(argtypes, codegen))
    if payload is None:  # numba cannot cache here (read-only, disabled)
        return None
    (_lib_name, kind, data), fndesc = payload[0], payload[1]
    if kind != "object":
        return None
    return data[0], fndesc, data[1]


def _wrapper(library: Any, name: str, dtype: str, fndesc: Any) -> None:
    """Add the C-callable ``double blocksim_lstm_<name>(void **p, int64 *s,
    double *d)`` to ``library``: it builds numba's array structures from the
    pointers and shapes, and calls the kernel by numba's calling convention."""
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.core.registry import cpu_target

    ctx = cpu_target.target_context
    module = library.create_ir_module(f"blocksim_lstm_{name}")
    i64, f64 = ir.IntType(64), ir.DoubleType()
    fnty = ir.FunctionType(
        f64,
        [ir.IntType(8).as_pointer().as_pointer(), i64.as_pointer(), f64.as_pointer()],
    )
    fn = ir.Function(module, fnty, name=f"blocksim_lstm_{name}")
    builder = ir.IRBuilder(fn.append_basic_block())
    p, s, d = fn.args
    args = []
    n_ptr = n_int = n_flt = 0
    for (_arg, kind), ty in zip(_SPECS[name], fndesc.argtypes, strict=True):
        if kind == "i":
            args.append(builder.load(builder.gep(s, [i64(n_int)])))
            n_int += 1
        elif kind == "f":
            args.append(builder.load(builder.gep(d, [i64(n_flt)])))
            n_flt += 1
        else:
            ary = ctx.make_array(ty)(ctx, builder)
            data = builder.load(builder.gep(p, [i64(n_ptr)]))
            n_ptr += 1
            shape = [
                builder.load(builder.gep(s, [i64(n_int + j)])) for j in range(ty.ndim)
            ]
            n_int += ty.ndim
            itemsize = ty.dtype.bitwidth // 8
            strides = [i64(itemsize)]
            for extent in reversed(shape[1:]):
                strides.insert(0, builder.mul(strides[0], extent))
            ctx.populate_array(
                ary,
                data=builder.bitcast(data, ary.data.type),
                shape=shape,
                strides=strides,
                itemsize=itemsize,
                meminfo=None,
            )
            args.append(ary._getvalue())
    callee = cgutils.get_or_insert_function(
        module,
        ctx.call_conv.get_function_type(fndesc.restype, fndesc.argtypes),
        fndesc.mangled_name,
    )
    status, value = ctx.call_conv.call_function(
        builder, callee, fndesc.restype, fndesc.argtypes, args
    )
    if fndesc.restype == types.float64:
        out = value
    elif fndesc.restype == types.boolean:
        out = builder.select(value, f64(1.0), f64(0.0))
    else:
        out = f64(0.0)
    builder.ret(builder.select(status.is_ok, out, f64(float("nan"))))
    library.add_ir_module(module)


def build(dtype: str) -> Path | None:
    """Compile the kernels in ``dtype`` with numba and write their machine code.

    The kernels' code is what numba's cache holds (numba compiles it, or loads
    it from its cache, here); only the three small wrappers are compiled anew.
    Returns the file (as :func:`path` names it), or None when it cannot be
    made: then numba's kernels serve (this process has them).
    """
    try:
        out = path(dtype)
    except ImportError:
        return None
    if out.exists():
        return None  # not one we can load (load() is tried first): left alone
    import llvmlite.binding as llvm
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.registry import cpu_target

    objects = []
    foreign: dict[str, set[str]] = {"functions": set(), "data": set()}
    codegen = cpu_target.target_context.codegen()
    with global_compiler_lock:
        library = codegen.create_library("blocksim_lstm_training_kernels")
        for name in _SPECS:
            found = _kernel_object(name, dtype)
            if found is None:
                return None
            obj, fndesc, bitcode = found
            objects.append(obj)
            _wrapper(library, name, dtype, fndesc)
            module = llvm.parse_bitcode(bitcode)
            foreign["functions"] |= {
                f.name
                for f in module.functions
                if f.is_declaration and not f.name.startswith("llvm.")
            }
            foreign["data"] |= {
                g.name for g in module.global_variables if g.is_declaration
            }
        library.finalize()
        objects.append(codegen._tm.emit_object(library._final_module))
    if foreign["functions"] & _ALLOCATORS:
        return None  # a kernel allocates: it needs numba's runtime
    obj = b"".join(objects)
    header = {
        "dtype": dtype,
        "foreign": {k: sorted(v) for k, v in foreign.items()},
        "sha256": hashlib.sha256(obj).hexdigest(),
        "sizes": [len(o) for o in objects],
    }
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, json.dumps(header, sort_keys=True).encode() + b"\n" + obj)
    except OSError:
        return None
    return out


class _Bound:
    """A kernel with its arguments converted once; call it with the free ones."""

    def __init__(
        self,
        fn: Callable[..., float],
        keep: tuple[Any, ...],
        ptrs: ctypes.Array[ctypes.c_void_p],
        ints: np.ndarray,
        flts: np.ndarray,
        free: list[tuple[np.ndarray, int]],
        result: str,
    ) -> None:
        self._fn = fn
        self._keep = keep  # the arrays the pointers point into
        self._ptrs = ptrs
        self._ints = ints
        self._flts = flts
        self._iptr = ints.ctypes.data
        self._fptr = flts.ctypes.data
        self._free = free
        self._result = result

    def __call__(self, *values: float) -> Any:
        for (buf, i), value in zip(self._free, values, strict=True):
            buf[i] = value
        r = self._fn(self._ptrs, self._iptr, self._fptr)
        if self._result == "float":
            return r
        if self._result == "bool":
            return r != 0.0
        return None


class _Kernel:
    """One kernel of the object: called like numba's, or bound once."""

    def __init__(self, name: str, address: int, dtype: str) -> None:
        self.name = name
        self._spec = _SPECS[name]
        self._dtype = dtype
        proto = ctypes.CFUNCTYPE(
            ctypes.c_double, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
        )
        self._fn = proto(address)

    def bind(self, args: Sequence[Any], free: Sequence[int] = ()) -> _Bound:
        """Check and convert ``args`` once; the result takes ``args[i]``, i in ``free``.

        Raises
        ------
        TypeError
            An argument of another kind than numba's kernel was compiled for
            (dtype, dimensions, C order), naming it.
        """
        if len(args) != len(self._spec):
            raise TypeError(
                f"{self.name}: expected {len(self._spec)} arguments, got {len(args)}"
            )
        ptrs: list[int] = []
        ints: list[int] = []
        flts: list[float] = []
        places: dict[int, tuple[str, int]] = {}
        for i, ((arg, kind), value) in enumerate(zip(self._spec, args, strict=True)):
            if kind == "i":
                places[i] = ("i", len(ints))
                ints.append(int(value))
            elif kind == "f":
                places[i] = ("f", len(flts))
                flts.append(float(value))
            else:
                ndim, dt = _array_kinds(kind, self._dtype)
                if (
                    not isinstance(value, np.ndarray)
                    or value.ndim != ndim
                    or value.dtype != np.dtype(dt)
                    or not value.flags.c_contiguous
                    or not value.flags.writeable
                ):
                    got = (
                        f"{value.dtype} {value.ndim}-d "
                        f"{'C' if value.flags.c_contiguous else 'strided'}"
                        if isinstance(value, np.ndarray)
                        else type(value).__name__
                    )
                    raise TypeError(
                        f"{self.name}: {arg}: expected a writable C-contiguous "
                        f"{ndim}-d {dt} array, got {got}"
                    )
                ptrs.append(value.ctypes.data)
                ints.extend(value.shape)
        int_buf = np.array(ints + [0], np.int64)  # never empty
        flt_buf = np.array(flts + [0.0], np.float64)
        free_at = []
        for i in free:
            kind, j = places[i]
            free_at.append((int_buf if kind == "i" else flt_buf, j))
        return _Bound(
            self._fn,
            tuple(args),
            (ctypes.c_void_p * max(len(ptrs), 1))(*ptrs),
            int_buf,
            flt_buf,
            free_at,
            _RESULT[self.name],
        )

    def __call__(self, *args: Any) -> Any:
        return self.bind(args)()


class NativeKernels:
    """``forward``, ``backward``, ``update`` from an object file (see module doc)."""

    def __init__(self, engine: Any, addresses: dict[str, int], dtype: str) -> None:
        self._engine = engine  # LLVM frees the code with it
        self.dtype = dtype
        self.forward = _Kernel("forward", addresses["forward"], dtype)
        self.backward = _Kernel("backward", addresses["backward"], dtype)
        self.update = _Kernel("update", addresses["update"], dtype)


def _give_symbols(llvm: Any, foreign: dict[str, list[str]]) -> bool:
    """Tell LLVM where the object's foreign symbols are; False if one is nowhere.

    The process has the C API and libc's functions. numba's helpers (``numba_*``,
    ``NRT_*``), which only numba's own entry points and error paths call, get
    an address that aborts, unless numba is loaded and has given the real one.
    """
    process = ctypes.CDLL(None)
    abort = ctypes.cast(process.abort, ctypes.c_void_p).value
    address: int | None
    for kind in _KINDS:
        for name in foreign[kind]:
            if llvm.address_of_symbol(name):
                continue  # numba (or the process) has it: keep the real one
            try:
                if kind == "data":
                    address = ctypes.addressof(ctypes.c_void_p.in_dll(process, name))
                else:
                    address = ctypes.cast(getattr(process, name), ctypes.c_void_p).value
            except (AttributeError, ValueError):
                if kind == "data" or not name.startswith(("numba_", "NRT_")):
                    return False
                address = abort
            llvm.add_symbol(name, address)
    return True


def load(dtype: str) -> NativeKernels | None:
    """The kernels in ``dtype`` from their object file, or None (see module doc)."""
    try:
        import llvmlite.binding as llvm

        data = path(dtype).read_bytes()
    except (ImportError, OSError):
        return None
    head, sep, obj = data.partition(b"\n")
    try:
        header = json.loads(head)
        sizes = [int(n) for n in header["sizes"]]
        foreign = {
            k: [str(n) for n in header["foreign"][k]] for k in ("functions", "data")
        }
        ok = header["sha256"] == hashlib.sha256(obj).hexdigest()
    except (ValueError, KeyError, TypeError):
        return None
    if not (sep and ok and header.get("dtype") == dtype and sum(sizes) == len(obj)):
        return None
    try:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        if not _give_symbols(llvm, foreign):
            return None
        target = llvm.Target.from_default_triple()
        engine = llvm.create_mcjit_compiler(
            llvm.parse_assembly(""), target.create_target_machine()
        )
        start = 0
        for size in sizes:
            part = obj[start : start + size]
            engine.add_object_file(llvm.ObjectFileRef.from_data(part))
            start += size
        engine.finalize_object()
        addresses = {
            n: engine.get_function_address(f"blocksim_lstm_{n}") for n in _SPECS
        }
        if not all(addresses.values()):
            return None
        return NativeKernels(engine, addresses, dtype)
    except (RuntimeError, OSError, ValueError):
        return None
