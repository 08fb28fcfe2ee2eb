"""A Hypothesis strategy drawing random straight-line cells through the public :class:`symlstm.CellBuilder`.

Each construct is a named feature (:data:`FEATURES`); :data:`OFF` lists the features the CI test filters out
because of a known, recorded bug (each has a strict-xfail regression test in ``test_random_cells.py``
with its minimal cell). ``random_cells(enabled)`` never uses a feature outside ``enabled``; the drawn
:class:`Drawn` records the features it used, concrete sizes, and the builder code that reproduces it.
"""

from __future__ import annotations

import sympy as sp
from hypothesis import strategies as st
from sympy import HadamardPower, OneMatrix
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm import CellBuilder, CellError, ShapeError
from symlstm.algebra import add, concat, hadamard, matmul
from symlstm.functions import Exp, Sigmoid, Softplus, elementwise

from cell_features import COLLIDING, FEATURES, FUNCTIONS, OFF, PLAIN, Drawn  # noqa: F401


class _Draw:
    """Builds one cell; every choice goes through ``draw`` and only among enabled features."""

    def __init__(self, draw, enabled):
        self.draw, self.enabled = draw, enabled
        self.features: set = set()
        self.code: list = ["b = CellBuilder('fuzz', 'random cell')"]
        self.used: set = set()
        self.vectors: list = []  # (symbol, size symbol, code name)
        self.sides: set = set()  # the sizes some parameter has as a side (the module reads sizes from them)
        self.counter = 0

    def on(self, feature) -> bool:
        return feature in self.enabled

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def name(self, kind: str) -> str:
        pool = [n for n in PLAIN[kind] if n not in self.used]
        if self.on("names_collide"):
            colliding = [n for n in COLLIDING[kind] if n not in self.used]
            rare = kind == "size"  # T and B are refused by name: drawn rarely, not to waste the run
            if colliding and (not pool or self.draw(st.integers(0, 9 if rare else 1)) == 1):
                self.features.add("names_collide")
                pool = colliding
        if not pool:
            pool = [f"{PLAIN[kind][0]}{len(self.used)}"]
        if kind == "param" and self.on("names_underscore") and self.draw(st.integers(0, 9)) == 1:
            self.features.add("names_underscore")
            pool = [n for n in ("_s0", "_s1") if n not in self.used] or pool
        chosen = self.pick(pool)
        self.used.add(chosen)
        return chosen

    def var(self, prefix="v") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


def _params(d: _Draw, b: CellBuilder, rows, cols, rows_code, cols_code):
    name = d.name("param")
    var = d.var("P")
    d.code.append(f"{var} = b.param({name!r}, {rows_code}, {cols_code}, 'param')")
    d.sides.update((rows, cols))
    return b.param(name, rows, cols, "param"), var


def _blocks(d: _Draw, size_code):
    """1–3 distinct blocks (symbol, code) from the vectors, and the features that says."""
    kinds = [k for k in ("matmul", "concat", "concat_single") if d.on(k)]
    kind = d.pick(kinds)
    d.features.add(kind)
    count = 1 if kind != "concat" else d.draw(st.integers(2, min(3, len(d.vectors)) if len(d.vectors) >= 2 else 1))
    chosen = d.draw(st.permutations(range(len(d.vectors))))[:count]
    blocks = [d.vectors[i] for i in chosen]
    fold = kind != "matmul" and d.on("bias_fold") and d.draw(st.booleans())
    return kind, blocks, fold


def _product(d: _Draw, b: CellBuilder, size, sizes_code):
    kind, blocks, fold = _blocks(d, sizes_code)
    cols = sum((s.shape[0] for s, _, _ in blocks), sp.Integer(0)) + (1 if fold else 0)
    cols_code = " + ".join([sizes_code[z] for _, z, _ in blocks] + (["1"] if fold else []))
    W, wcode = _params(d, b, size, cols, sizes_code[size], f"{cols_code}")
    parts = [s for s, _, _ in blocks] + ([OneMatrix(1, 1)] if fold else [])
    parts_code = [f"{c}_sym" for _, _, c in blocks] + (["OneMatrix(1, 1)"] if fold else [])
    if fold:
        d.features.add("bias_fold")
    if kind == "matmul":
        return matmul(W, parts[0]), f"matmul({wcode}, {parts_code[0]})"
    return matmul(W, concat(*parts)), f"matmul({wcode}, concat({', '.join(parts_code)}))"


def _inner(d: _Draw, b, size, sizes_code, depth):
    """An argument for an element-wise function: not itself one unless fn_nested is on."""
    inner, code = _expr(d, b, size, sizes_code, depth - 1)
    if isinstance(inner, ElementwiseApplyFunction):
        if not d.on("fn_nested"):
            return _product(d, b, size, sizes_code)
        d.features.add("fn_nested")
    return inner, code


def _positive(d: _Draw, b, size, sizes_code, depth):
    function = d.pick([Sigmoid, Exp, Softplus])
    inner, code = _inner(d, b, size, sizes_code, depth)
    return elementwise(function, inner), f"elementwise({function.__name__}, {code})"


def _function(d: _Draw, feature):
    d.features.add(feature)
    function = FUNCTIONS[feature]
    if function == "lambda":
        x = sp.Symbol("x")
        return sp.Lambda(x, x), "Lambda(x, x)"
    return function, getattr(function, "__name__", str(function))


def _apply(function, inner):
    if isinstance(function, sp.Lambda):
        return ElementwiseApplyFunction(function, inner)
    return elementwise(function, inner)


def _expr(d: _Draw, b: CellBuilder, size, sizes_code, depth):
    """A random expression with ``size`` rows and one column, and its code."""
    same = [(s, c) for s, z, c in d.vectors if z == size]
    options = ["product"]
    if same:
        options.append("leaf")
    if depth > 0:
        options += [k for k in ("sum", "hadamard", "power_int", "power_rational", "const_scale", "const_scale_float",
                                "ones", "const_ones_rational", "const_ones_float", "bias") if d.on(k)]
        options += ["function"] if any(d.on(f) for f in FUNCTIONS) else []
        if same and d.on("diag"):
            options.append("diag")
    kind = d.pick(options)
    if kind == "leaf":
        symbol, code = d.pick(same)
        return symbol, f"{code}_sym"
    if kind == "product":
        return _product(d, b, size, sizes_code)
    d.features.add(kind)
    if kind in ("sum", "hadamard"):
        (e1, c1), (e2, c2) = (_expr(d, b, size, sizes_code, depth - 1) for _ in range(2))
        return (add(e1, e2), f"add({c1}, {c2})") if kind == "sum" else (hadamard(e1, e2), f"hadamard({c1}, {c2})")
    if kind in ("power_int", "power_rational"):
        base, code = _positive(d, b, size, sizes_code, depth)
        k = d.pick([2, 3] if kind == "power_int" else [sp.Rational(3, 2), sp.Rational(1, 2), -1])
        return HadamardPower(base, k), f"HadamardPower({code}, {k!r})"
    if kind in ("const_scale", "const_scale_float"):
        c = d.pick([-1, 2, sp.Rational(1, 2)]) if kind == "const_scale" else sp.Float(0.5)
        inner, code = _expr(d, b, size, sizes_code, depth - 1)
        return c * inner, f"{c!r} * {code}"
    if kind in ("ones", "const_ones_rational", "const_ones_float"):
        c = {"ones": 1, "const_ones_rational": sp.Rational(3, 2), "const_ones_float": sp.Float(1.0)}[kind]
        inner, code = _expr(d, b, size, sizes_code, depth - 1)
        ones = OneMatrix(size, 1) if c == 1 and kind == "ones" else c * OneMatrix(size, 1)
        return add(inner, ones), f"add({code}, {c!r} * OneMatrix({sizes_code[size]}, 1))"
    if kind == "bias":
        inner, code = _expr(d, b, size, sizes_code, depth - 1)
        bias, bcode = _params(d, b, size, 1, sizes_code[size], "1")
        return add(inner, bias), f"add({code}, {bcode})"
    if kind == "diag":
        u, ucode = _params(d, b, size, 1, sizes_code[size], "1")
        v, vcode = d.pick(same)
        return hadamard(u, v), f"hadamard({ucode}, {vcode}_sym)"
    feature = d.pick([f for f in FUNCTIONS if d.on(f)])
    function, fcode = _function(d, feature)
    inner, code = _inner(d, b, size, sizes_code, depth)
    return _apply(function, inner), f"elementwise({fcode}, {code})"


def _gate(d: _Draw, b: CellBuilder, size, sizes_code):
    one = d.on("gate_one_block") and d.draw(st.booleans())
    count = 1 if one else d.draw(st.integers(2, max(2, min(3, len(d.vectors)))))
    count = min(count, len(d.vectors))
    d.features.add("gate_one_block" if count == 1 else "gate")
    chosen = d.draw(st.permutations(range(len(d.vectors))))[:count]
    blocks = [d.vectors[i] for i in chosen]
    cols = sum((s.shape[0] for s, _, _ in blocks), sp.Integer(0))
    W, wcode = _params(d, b, size, cols, sizes_code[size], " + ".join(sizes_code[z] for _, z, _ in blocks))
    bias, bcode = _params(d, b, size, 1, sizes_code[size], "1")
    feature = d.pick([f for f in FUNCTIONS if d.on(f)])
    function, fcode = _function(d, feature)
    key = d.name("let")
    labels = [f"L{i}" for i in range(count)]
    y = b.gate(key, weight=W, concat=[s for s, _, _ in blocks], bias=bias, function=function, doc="gate",
               labels=labels)
    code = (f"b.gate({key!r}, weight={wcode}, concat=[{', '.join(c + '_sym' for _, _, c in blocks)}], "
            f"bias={bcode}, function={fcode}, doc='gate', labels={labels!r})")
    return y, code


@st.composite
def random_cells(draw, enabled=None):
    """A :class:`Drawn` cell using only features in ``enabled`` (default: all but :data:`OFF`).

    A cell the builder refuses by name (CellError, ShapeError) is a Drawn with ``cell=None`` and ``refused``.
    """
    enabled = frozenset(FEATURES) - set(OFF) if enabled is None else frozenset(enabled)
    d = _Draw(draw, enabled)
    try:
        return _build(draw, d)
    except (CellError, ShapeError) as error:
        return Drawn(None, {}, d.features, d.code, refused=f"builder {type(error).__name__}: {error}")


def _build(draw, d: _Draw) -> Drawn:
    b = CellBuilder("fuzz", "random cell")
    state_count = draw(st.integers(1, 1 + sum(d.on(k) for k in ("states_2", "states_3"))))
    if state_count > 1:
        d.features.add(f"states_{state_count}")
    drawn_names = [d.name("size") for _ in range(state_count)]
    state_sizes = [draw(st.sampled_from(drawn_names)) for _ in range(state_count)]
    size_names = list(dict.fromkeys(state_sizes))  # a size no state has would be read from no array
    sizes = {name: draw(st.integers(1, 3)) for name in size_names}
    sizes["m"] = draw(st.integers(1, 3))
    symbols, sizes_code = {}, {}
    for name in size_names:
        symbols[name] = b.size(name, "size")
        sizes_code[symbols[name]] = f"{name}_size"
        d.code.append(f"{name}_size = b.size({name!r}, 'size')")
    m = b.size("m", "input")
    sizes_code[m] = "m_size"
    d.code.append("m_size = b.size('m', 'input')")
    d.used.add("m")
    x = b.input("x_t", m, "input")
    d.code.append("x_sym = b.input('x_t', m_size, 'input')")
    d.vectors.append((x, m, "x"))
    states = []
    for size_name in state_sizes:
        state_name = d.name("state")
        size = symbols[size_name]
        symbol = b.state(state_name, size, "state")
        d.code.append(f"{state_name}_sym = b.state({state_name!r}, {sizes_code[size]}, 'state')")
        d.vectors.append((symbol, size, state_name))
        states.append((symbol, size, state_name))
    for _ in range(draw(st.integers(0, 2)) if d.on("intermediate") or d.on("gate") else 0):
        size = symbols[draw(st.sampled_from(size_names))]
        if (d.on("gate") or d.on("gate_one_block")) and draw(st.booleans()):
            y, code = _gate(d, b, size, sizes_code)
            vname = d.var("g")
        elif d.on("intermediate"):
            d.features.add("intermediate")
            rhs, code = _expr(d, b, size, sizes_code, 2)
            name = d.name("let")
            y = b.let(name, rhs, "intermediate")
            code = f"b.let({name!r}, {code}, 'intermediate')"
            vname = d.var("y")
        else:
            continue
        d.code.append(f"{vname}_sym = {code}")
        d.vectors.append((y, size, vname))
    updates = []
    for symbol, size, state_name in states:
        rhs, code = _expr(d, b, size, sizes_code, 3)
        if not _reads(rhs, symbol, b):
            if d.on("state_unread") and draw(st.booleans()):
                d.features.add("state_unread")
            else:
                d.features.add("matmul")
                U, ucode = _params(d, b, size, size, sizes_code[size], sizes_code[size])
                rhs, code = add(rhs, matmul(U, symbol)), f"add({code}, matmul({ucode}, {state_name}_sym))"
        updates.append([symbol, size, state_name, rhs, code])
    intermediates = [v for v in d.vectors if v[0] != x and v[0] not in {s for s, _, _ in states}]
    for y, z, yname in intermediates:
        if not any(_reads(u[3], y, b) for u in updates):
            if d.on("value_unused") and draw(st.booleans()):
                d.features.add("value_unused")
                continue
            first = updates[0]
            P, pcode = _params(d, b, first[1], z, sizes_code[first[1]], sizes_code[z])
            first[3], first[4] = add(first[3], matmul(P, y)), f"add({first[4]}, matmul({pcode}, {yname}_sym))"
    _make_sizes_readable(d, b, updates, x, m, sizes_code)
    for symbol, size, state_name, rhs, code in updates:
        b.update(symbol, rhs)
        d.code.append(f"b.update({state_name}_sym, {code})")
    d.code.append("cell = b.build()")
    return Drawn(b.build(), sizes, d.features, d.code)


def _make_sizes_readable(d: _Draw, b: CellBuilder, updates, x, m, sizes_code) -> None:
    """Give every size a state has, and m, a parameter with that side: the generated module reads its sizes
    from the parameters' shapes and refuses (by name) a cell where it cannot — a refusal the draw need not
    waste a cell on. A state's size gets a bias (k, 1) in its update; m a product P·x_t in the first one."""
    for update in updates:
        if update[1] not in d.sides:
            P, pcode = _params(d, b, update[1], 1, sizes_code[update[1]], "1")
            update[3], update[4] = add(update[3], P), f"add({update[4]}, {pcode})"
    if m not in d.sides:
        first = updates[0]
        P, pcode = _params(d, b, first[1], m, sizes_code[first[1]], sizes_code[m])
        first[3], first[4] = add(first[3], matmul(P, x)), f"add({first[4]}, matmul({pcode}, x_sym))"


def _reads(rhs, previous, b: CellBuilder) -> bool:
    """Whether ``rhs`` depends on ``previous``, directly or through the builder's intermediates so far."""
    defined = {a.lhs: a.rhs for a in b._assignments}
    seen, todo = set(), [rhs]
    while todo:
        expr = todo.pop()
        for symbol in expr.free_symbols:
            if symbol == previous:
                return True
            if symbol in defined and symbol not in seen:
                seen.add(symbol)
                todo.append(defined[symbol])
    return False
