"""Support code every generated module carries, printed verbatim: input validation and the workspace.

Nothing here is mathematics; it reads the module's own ``PARAMS``, ``SIZE_SOURCES`` and
``param_shapes`` (printed from the cell's layout) so that every error names the array, the shape
it has and the shape it should have — never a NumPy broadcasting traceback.  The workspace keeps the
large internal arrays of one call for the next: the operating system zeroes fresh memory on first use,
which costs as much as a GEMM at the benchmark sizes.
"""

VALIDATION = '''\
class ArrayKindError(TypeError, ValueError):
    """An array that is not real numbers (complex, dates, text, objects): a TypeError and a ValueError."""


_REFUSED = {"c": "complex numbers (the imaginary part would be lost)", "M": "dates (datetime64), not numbers",
            "m": "durations (timedelta64), not numbers", "U": "text", "S": "bytes", "V": "structured records",
            "O": "Python objects"}


def _array(name, value):
    """``value`` as a DTYPE array: real floats, integers or booleans (a torch tensor is detached first)."""
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        given = np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{name} cannot be read as an array of {DTYPE.__name__}: {error}") from None
    if given.dtype.kind not in "biuf" or given.dtype.fields:
        kind = _REFUSED.get(given.dtype.kind, f"dtype kind {given.dtype.kind!r}")
        raise ArrayKindError(f"{name} has dtype {given.dtype}: {kind}; real numbers are expected")
    return given.astype(DTYPE, copy=False)


def _check(name, array, expected, pattern, sizes):
    if array.shape != expected:
        raise ValueError(f"{name} has shape {array.shape}, expected {pattern} = {expected} ({_read(sizes)})")
    return array


def _read(sizes, *names):
    """Where the sizes come from: ``n = 4 from weight_hh.shape[1]``."""
    return ", ".join(f"{k} = {v} from {SIZE_SOURCES[k][0]}.shape[{SIZE_SOURCES[k][1]}]"
                     for k, v in sizes.items() if not names or k in names)


def _disagree(name, shape, pattern, size, weights, sizes):
    """An input whose feature axis disagrees with the parameter a size is read from: both are named."""
    if size not in SIZE_SOURCES:
        return f"{name} has shape {shape}, expected {pattern}"
    source, axis, *less = SIZE_SOURCES[size]
    read = f"{source}.shape[{axis}]" + "".join(f" - {s}" for s in (*less, ())[0])
    return (f"{name} has shape {shape} but {source} has shape {weights[source].shape}: {name}.shape[-1] = "
            f"{shape[-1]} and {read} = {sizes[size]} are both {size} "
            f"({SIZES[size]}; {name} is {pattern}), so one of the two is wrong")


def _parameters(params):
    """The parameters as DTYPE arrays, and the sizes they imply (KeyError or ValueError naming a parameter)."""
    if not hasattr(params, "keys"):
        raise ValueError(f"params must be a mapping from the names {list(PARAMS)} to arrays, "
                         f"got {type(params).__name__}")
    expected = ", ".join(f"{k} {_pattern(k)}" for k in PARAMS)
    missing = [k for k in PARAMS if k not in params]
    unexpected = sorted(str(k) for k in params.keys() if k not in PARAMS)
    if missing:
        extra = f"; got unexpected {unexpected}" if unexpected else ""
        raise KeyError(f"missing parameter(s) {missing}; expected {expected}{extra}")
    if unexpected:
        raise ValueError(f"unexpected parameter(s) {unexpected}; expected {expected}")
    weights = {k: _array(k, params[k]) for k in PARAMS}
    sizes = {}
    for size, (name, axis) in SIZE_SOURCES.items():
        if weights[name].ndim != len(PARAMS[name]):
            raise ValueError(f"{name} has shape {weights[name].shape}, expected {_pattern(name)}")
        sizes[size] = weights[name].shape[axis]
        if sizes[size] < 1:
            raise ValueError(f"{name} has shape {weights[name].shape}, so {size} = {sizes[size]}; "
                             "every size must be >= 1")
    for name, shape in param_shapes(**sizes).items():
        _check(name, weights[name], shape, _pattern(name), sizes)
    return weights, sizes


_WORKSPACE = {}  # internal arrays kept between calls: memory used again is not zeroed again by the OS


def _workspace(name, shape):
    """An uninitialised DTYPE array for internal use: the last call's if it has the same shape."""
    array = _WORKSPACE.pop(name, None)
    return array if array is not None and array.shape == shape else np.empty(shape, DTYPE)


def _keep(**arrays):
    _WORKSPACE.update(arrays)


def release_workspace():
    """Free the internal arrays (``a_all``, ...) kept between calls."""
    _WORKSPACE.clear()


def _pattern(name):
    shape = PARAMS[name]
    return "(" + ", ".join(shape) + ("," if len(shape) == 1 else "") + ")"
'''


def validation(less: bool) -> str:
    """VALIDATION; with ``less``, a SIZE_SOURCES entry may name sizes to subtract (``m = W_f.shape[1] - n``)."""
    if not less:
        return VALIDATION
    read = '.shape[{SIZE_SOURCES[k][1]}]"'
    loop = ("    for size, (name, axis) in SIZE_SOURCES.items():", "        sizes[size] = weights[name].shape[axis]")
    assert read in VALIDATION and all(line in VALIDATION for line in loop)
    return (VALIDATION.replace(read, read[:-1] + "{''.join(f' - {s}' for s in (*SIZE_SOURCES[k][2:], ())[0])}\"")
            .replace(loop[0], "    for size, (name, axis, *less) in SIZE_SOURCES.items():")
            .replace(loop[1], loop[1] + " - sum(sizes.get(k, k) for k in (*less, ())[0])"))
