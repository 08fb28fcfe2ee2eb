r"""The schedule of a generated module: which equations run where, and why.

:func:`schedule` takes the cell's forward equations and the BPTT step equations
(:func:`symlstm.bptt.bptt`) and rewrites them — by rules of the mathematics, each recorded as the
``note`` of the statement it produced, and printed as a comment in the generated code — into

* ``hoisted``: forward terms that read no state, for all steps at once before the loop;
* ``forward``: the forward loop body;
* ``backward``: the backward loop body (after the recurrence adds the upstream gradients);
* ``after``: backward quantities nothing in the loop reads, for all steps at once after it;
* ``gradients``: each module parameter's gradient as a per-step expression, summed over time.

The rules:

``stacked``
    the stacked-gates claim: gates reading one concatenation are one product per block
    ``A_t = Σ_L W_L·u_L + b`` (forward) and ``Σ_k W_{kL}ᵀ·δa_{k,t} = W_Lᵀ·δA_t`` (backward);
``hoist``
    the concat-split claim ``W·[h; x] + b = W_h·h + W_x·x + b`` separates the terms that read no
    state; they are one GEMM over all T·B rows before the loop;
``sink``
    a backward quantity that no later equation of the step reads (``δx_t``) is one GEMM over all
    steps after the loop;
``sum``
    ``Σ_t δa_t·u_tᵀ = δAᵀ·U`` with time flattened into the batch: one GEMM per weight;
``named``
    an element-wise function value inside a forward equation (``tanh(c_t)``) is computed once,
    named and stored; the backward pass reads it (``σ'``, ``tanh'`` from the stored activation);
``cse``
    SymPy's ``cse`` names the sub-expressions the backward step computes more than once;
``tanh``
    ``σ(z) = (1 + tanh(z/2))/2``: one tanh for all the gates of a stack (:mod:`.tanh_form`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy import BlockMatrix, MatAdd, MatMul, MatrixExpr, MatrixSlice, MatrixSymbol, Transpose, ZeroMatrix
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm.algebra import add, matmul
from symlstm.bptt import BPTT
from symlstm.codegen.layout import Layout, Stack
from symlstm.codegen.printer import CodegenError
from symlstm.codegen.statements import Statement
from symlstm.codegen.cse import cse
from symlstm.codegen.tanh_form import TanhForm
from symlstm.functions import scalar_function
from symlstm.printing.text import text
from symlstm.readable import by_name
from symlstm.spec import Assignment, identifier


@dataclass(frozen=True)
class Program:
    """A cell's forward and backward passes, scheduled (see the module docstring)."""

    layout: Layout
    bptt: BPTT
    prepared: tuple[Statement, ...]
    hoisted: tuple[Statement, ...]
    forward: tuple[Statement, ...]
    backward: tuple[Statement, ...]
    after: tuple[Statement, ...]
    gradients: tuple[tuple[str, MatrixExpr], ...]
    views: dict[MatrixSymbol, tuple[MatrixSymbol, sp.Expr, sp.Expr]]
    idents: dict[MatrixSymbol, str]
    stored: frozenset[MatrixSymbol] = field(default=frozenset())
    overwrites: dict[MatrixSymbol, MatrixSymbol] = field(default_factory=dict)

    @property
    def expressions(self) -> list[str]:
        """Every equation the module is printed from, as text (hashed into the module's header)."""
        parts = [*self.prepared, *self.hoisted, *self.forward, *self.backward, *self.after]
        lines = [f"{s.lhs.name} = {text(s.rhs)}" for s in parts]
        return lines + [f"grad {name} = Σ_t {text(expr)}" for name, expr in self.gradients]


def _stack_forward(stack: Stack, statements: list[Statement]) -> list[Statement]:
    """Replace the gates' pre-activation equations by ``A_t = Σ_L W_L·u_L + b`` (rule ``stacked``)."""
    pre = {g.preactivation: g for g in stack.gates}
    for gate in stack.gates:
        expected = add(matmul(gate.weight, gate.concat), *gate.extra, gate.bias)
        found = next(s.rhs for s in statements if s.lhs == gate.preactivation)
        if found != expected:
            raise CodegenError(f"gate {gate.key}: expected {text(expected)}, found {text(found)}")
    rhs = add(*(matmul(w, u) for w, u in zip(stack.weights, stack.blocks)), stack.bias)
    out, placed = [], False
    for s in statements:
        if s.lhs not in pre:
            out.append(s)
            continue
        if not placed:
            out.append(Statement(stack.preactivation, rhs, "stacked"))
            placed = True
        extra = pre[s.lhs].extra  # a gate's own further terms stay where its equation was (they may read c_t)
        if extra:
            out.append(Statement(s.lhs, MatAdd(s.lhs, *extra)))
    return out


def _name_functions(statements: list[Statement], idents: dict) -> tuple[list[Statement], list[Assignment]]:
    """Give every element-wise function value nested in an equation its own equation (rule ``named``)."""
    out, named = [], []
    for s in statements:
        inner = sorted({n for n in s.rhs.atoms(ElementwiseApplyFunction) if n != s.rhs
                        and isinstance(n.expr, MatrixSymbol)}, key=sp.default_sort_key)
        for node in inner:
            function = scalar_function(node).__name__.lower()
            symbol = MatrixSymbol(rf"\{function}({node.expr.name})", *node.shape)
            idents[symbol] = f"{function}_{idents[node.expr]}"
            named.append(Assignment(symbol, node))
            out.append(Statement(symbol, node, "named"))
        out.append(Statement(s.lhs, by_name(s.rhs, named), s.rule))
    return out, named


def _hoist(statements: list[Statement], invariant: set[MatrixSymbol], inputs: set[MatrixSymbol],
           views: dict) -> tuple[list, list]:
    """Split off the terms of each sum that read only inputs and parameters, if one reads an input (rule ``hoist``).

    A statement that adds to its own left side (a gate's extra terms, ``a_{g,t} = a_{g,t} + W_e·x_t``, after the
    stack's equation) is split only when what it adds to was itself hoisted: then the hoisted part adds too.
    """
    hoisted, loop, before_loop = [], [], set()
    for s in statements:
        terms = s.rhs.args if isinstance(s.rhs, MatAdd) else (s.rhs,)
        adds = s.lhs in terms
        others = [t for t in terms if t != s.lhs] if adds else list(terms)
        fixed = [t for t in others if t.atoms(MatrixSymbol) <= invariant]
        varying = [t for t in others if not t.atoms(MatrixSymbol) <= invariant]
        reads_input = any(t.atoms(MatrixSymbol) & inputs for t in fixed)
        base = views[s.lhs][0] if s.lhs in views else s.lhs
        if adds and reads_input and base in before_loop:
            hoisted.append(Statement(s.lhs, MatAdd(s.lhs, *fixed), "hoist"))
            if varying:
                loop.append(Statement(s.lhs, MatAdd(s.lhs, *varying), s.rule))
        elif not adds and varying and isinstance(s.rhs, MatAdd) and reads_input:
            hoisted.append(Statement(s.lhs, fixed[0] if len(fixed) == 1 else MatAdd(*fixed), "hoist"))
            loop.append(Statement(s.lhs, MatAdd(s.lhs, *varying), s.rule))
            before_loop.add(base)
        else:
            loop.append(s)
    return hoisted, loop


def _stack_backward(stack: Stack, expr: MatrixExpr, adjoint_of: dict) -> MatrixExpr:
    """``Σ_k W_{kL}ᵀ·δa_{k,t}`` over all gates of ``stack`` → ``W_Lᵀ·δA_t`` (rule ``stacked``)."""
    terms = list(expr.args) if isinstance(expr, MatAdd) else [expr]
    for j, weight in enumerate(stack.weights):
        wanted = {MatMul(Transpose(g.weight_blocks[j]), adjoint_of[g.preactivation]) for g in stack.gates}
        if wanted <= set(terms):
            terms = [t for t in terms if t not in wanted] + [MatMul(Transpose(weight), stack.adjoint)]
    return terms[0] if len(terms) == 1 else MatAdd(*terms)


def _plain_blocks(expr: MatrixExpr) -> MatrixExpr:
    """``expr`` without one-block concatenations and slices of all of a matrix (``(δa·[x]ᵀ)[:, :]`` → ``δa·xᵀ``)."""
    def plain(e):
        if isinstance(e, BlockMatrix) and e.blocks.shape == (1, 1):
            return e.blocks[0, 0]
        if isinstance(e, MatrixSlice) and e.shape == e.parent.shape:
            return e.parent
        return e
    return expr.replace(lambda e: isinstance(e, (BlockMatrix, MatrixSlice)), plain)


def _stack_gradient(stack: Stack, per_gate: list[MatrixExpr], adjoint_of: dict) -> MatrixExpr:
    """``[δa_{i,t}·R; δa_{f,t}·R; …] = δA_t·R`` (rule ``stacked``); refuses any other form."""
    rests = set()
    for gate, expr in zip(stack.gates, per_gate):
        expr = _plain_blocks(expr)
        adj = adjoint_of[gate.preactivation]
        factors = expr.args if isinstance(expr, MatMul) else (expr,)
        if factors[0] != adj:
            raise CodegenError(f"cannot stack the gradient {text(expr)} of gate {gate.key}: it is not δa·R")
        rests.add(factors[1:])
    if len(rests) != 1:
        raise CodegenError(f"cannot stack the gradients {[text(e) for e in per_gate]}: they differ beyond δa")
    rest = rests.pop()
    return MatMul(stack.adjoint, *rest) if rest else stack.adjoint


def _touches(symbol: MatrixSymbol, reads: set[MatrixSymbol], views: dict) -> bool:
    """Whether reading ``reads`` reads ``symbol``, directly, through the stack it is rows of, or as its stack."""
    base = views[symbol][0] if symbol in views else None
    return symbol in reads or base in reads or any(views.get(r, (None,))[0] == symbol for r in reads)


def schedule(layout: Layout, bptt: BPTT) -> Program:
    """The scheduled program for ``layout.cell`` and its BPTT (see the module docstring)."""
    cell = layout.cell
    idents = dict(bptt.idents)
    views: dict = {}
    forward = [Statement(a.lhs, a.rhs) for a in cell.assignments]
    prepared, overwrites = [], {}
    later = set().union(*(a.rhs.atoms(MatrixSymbol) for a in (*bptt.step, *bptt.parameter_step)))
    for stack in layout.stacks:
        forward = _stack_forward(stack, forward)
        idents[stack.preactivation] = cell.var(stack.gates[0].preactivation).ident.split("_")[0] + \
            ("" if len(layout.stacks) == 1 else f"_{stack.keys}")
        idents[stack.adjoint] = "d" + idents[stack.preactivation]
        idents[stack.bias] = identifier(stack.bias.name)
        idents.update({w: w.name for w in stack.weights})
        for gate, (lo, hi) in zip(stack.gates, stack.bounds):
            views[gate.preactivation] = (stack.preactivation, lo, hi)
            views[bptt.adjoint_of[gate.preactivation]] = (stack.adjoint, lo, hi)
            for j, block in enumerate(gate.weight_blocks):
                views[block] = (stack.weights[j], lo, hi)
            views[gate.bias] = (stack.bias, lo, hi)
        rewrite = TanhForm(stack, views, idents, overwrites)
        if rewrite.applies and not later & {g.preactivation for g in stack.gates}:
            scaled, forward = rewrite.apply(forward)
            prepared += scaled
    forward, named = _name_functions(forward, idents)
    invariant = {v.symbol for v in cell.inputs} | {v.symbol for v in layout.kept} | {s.lhs for s in prepared}
    invariant |= {s for st in layout.stacks for s in (*st.weights, st.bias)}
    hoisted, forward = _hoist(forward, invariant, {v.symbol for v in cell.inputs}, views)

    adjoint_of = bptt.adjoint_of
    step = []
    for a in bptt.step:
        rhs = _plain_blocks(by_name(a.rhs, named))
        stacked = rhs
        for stack in layout.stacks:
            stacked = _stack_backward(stack, stacked, adjoint_of)
        step.append(Statement(a.lhs, stacked, "stacked" if stacked != rhs else ""))
    step = cse(step, idents)
    outgoing = set(bptt.outgoing.values())
    backward, after = [], []
    for k, s in enumerate(step):
        read_later = any(_touches(s.lhs, later.reads, views) for later in step[k + 1:])
        if read_later or s.lhs in outgoing:
            backward.append(s)
        else:
            after.append(Statement(s.lhs, s.rhs, "sink"))

    gradients = []
    for stack in layout.stacks:
        for j, weight in enumerate(stack.weights):
            per_gate = [bptt.weight_gradients[g.weight].blocks[j].per_step for g in stack.gates]
            gradients.append((weight.name, _stack_gradient(stack, per_gate, adjoint_of)))
        per_gate = [bptt.weight_gradients[g.bias].per_step for g in stack.gates]
        gradients += [(name, _stack_gradient(stack, per_gate, adjoint_of)) for name in stack.bias_params]
    for var in layout.kept:
        gradients.append((var.ident, by_name(bptt.weight_gradients[var.symbol].per_step, named)))
    gradients = [(name, expr) for name, expr in gradients if not isinstance(expr, ZeroMatrix)]
    return _storage(Program(layout, bptt, tuple(prepared), tuple(hoisted), tuple(forward), tuple(backward),
                            tuple(after), tuple(gradients), views, idents, overwrites=overwrites))


def _storage(program: Program) -> Program:
    """Decide which values are kept for every step and which arrays a value may overwrite."""
    cell, bptt = program.layout.cell, program.bptt
    views = dict(program.views)
    after_reads = set().union(*(s.reads for s in program.after), *(e.atoms(MatrixSymbol) for _, e in program.gradients))
    later_reads = after_reads.union(*(s.reads for s in program.backward))
    overwrites = dict(program.overwrites)
    for k, s in enumerate(program.forward):  # y = φ(a) may overwrite a if nothing reads a afterwards
        arg = s.rhs.expr if isinstance(s.rhs, ElementwiseApplyFunction) else None
        if s.lhs in overwrites or arg not in views:
            continue
        if arg not in later_reads and not any(arg in t.reads for t in program.forward[k + 1:]):
            overwrites[s.lhs] = arg
            views[s.lhs] = views[arg]

    def base(symbol: MatrixSymbol) -> MatrixSymbol:
        return views[symbol][0] if symbol in views else symbol

    forward_defined = {base(s.lhs) for s in (*program.hoisted, *program.forward)}
    backward_defined = {base(s.lhs) for s in program.backward} | {r.incoming for r in bptt.recurrence}
    stored = {base(s.lhs) for s in program.hoisted} | {st.current.symbol for st in cell.states}
    stored |= {base(s) for s in later_reads if base(s) in forward_defined}
    stored |= {base(s) for s in after_reads if base(s) in backward_defined}
    for r in bptt.recurrence:  # δh_{t-1} may go where δh_t was if the step no longer reads δh_t
        at = next(k for k, s in enumerate(program.backward) if s.lhs == r.outgoing)
        if not any(r.incoming in s.reads for s in program.backward[at:]):
            overwrites[r.outgoing] = r.incoming
    return Program(**{**program.__dict__, "views": views, "stored": frozenset(stored), "overwrites": overwrites})
