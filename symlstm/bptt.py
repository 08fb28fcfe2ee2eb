r"""Backpropagation through time, derived from a cell's equations by reverse mode.

:func:`bptt` runs the rule table of :mod:`symlstm.adjoint` backwards over one
step of a :class:`~symlstm.spec.CellSpec`, at symbolic sizes, and returns a
:class:`BPTT`: the backward equations of one step, the recurrence that links the
steps, and the weight gradients as sums over time.  Nothing here knows what an
LSTM is: the gates, states and weight blocks come from the cell specification.

The loss is :math:`\mathcal{L} = \sum_t \ell_t(h_t) + \ell_{\mathrm{final}}(h_T, c_T)`
(the per-step terms read the *output* states, by default the first state).  For
a quantity :math:`v` of step :math:`t`, :math:`\delta v = \partial\mathcal{L}/\partial v`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sympy import BlockMatrix, MatrixExpr, MatrixSymbol, ZeroMatrix

from symlstm.adjoint import Rule, reverse
from symlstm.algebra import side_by_side
from symlstm.errors import CellError
from symlstm.printing.latex import latex
from symlstm.readable import adjoints_first, by_name
from symlstm.spec import Assignment, CellSpec, identifier

_TIME = re.compile(r"(?<=[_{,])t(-1)?(?=[},^\s]|$)")


def at_time(symbol: MatrixSymbol, t: int | str) -> MatrixSymbol:
    """``symbol`` with its time index set: ``h_{t-1}`` at 3 is ``h_{2}``; ``\\delta c_t`` at ``T`` is ``\\delta c_T``.

    Every ``t`` standing alone in a subscript is replaced (``x_t``, ``a_{f,t}``, ``h_{t-1}``).
    """

    def index(match: re.Match) -> str:
        if not match.group(1):
            return str(t)
        return str(t - 1) if isinstance(t, int) else f"{t}-1"

    return MatrixSymbol(_TIME.sub(index, symbol.name), *symbol.shape)


def adjoint_symbol(symbol: MatrixSymbol) -> MatrixSymbol:
    """``\\delta`` + the name: the adjoint of ``symbol`` within one step (per-step part for parameters)."""
    return MatrixSymbol(r"\delta " + symbol.name, *symbol.shape)


def gradient_symbol(param: MatrixSymbol) -> MatrixSymbol:
    """``∂L/∂W``: the gradient of the whole loss with respect to a parameter."""
    return MatrixSymbol(r"\frac{\partial \mathcal{L}}{\partial %s}" % param.name, *param.shape)


@dataclass(frozen=True)
class Recurrence:
    """How the adjoint of state ``state`` enters step t: ``incoming = upstream + [outgoing]_{t+1}``.

    ``upstream`` (``\\bar{h}_t = ∂ℓ_t/∂h_t``) is None for states the per-step loss does not read;
    at t = T the next step's outgoing adjoint is replaced by ``final`` (``∂ℓ_final/∂h_T``, 0 if absent).
    """

    state: str
    incoming: MatrixSymbol
    upstream: MatrixSymbol | None
    outgoing: MatrixSymbol
    final: MatrixSymbol

    def latex(self) -> str:
        up = f"{latex(self.upstream)} + " if self.upstream is not None else ""
        up_T = f"{latex(at_time(self.upstream, 'T'))} + " if self.upstream is not None else ""
        return (rf"{latex(self.incoming)} &= {up}\left[{latex(self.outgoing)}\right]_{{t+1}} \quad (t < T), "
                rf"\qquad {latex(at_time(self.incoming, 'T'))} = {up_T}{latex(self.final)}")


@dataclass(frozen=True)
class WeightGradient:
    """``total = Σ_t per_step`` for one parameter, with the same for its column blocks (if any)."""

    param: MatrixSymbol
    total: MatrixSymbol
    per_step: MatrixExpr
    blocks: tuple[WeightGradient, ...] = ()

    def latex(self) -> str:
        return rf"{latex(self.total)} &= \sum_{{t=1}}^{{T}} {latex(self.per_step, order='none')}"


@dataclass(frozen=True)
class BPTT:
    """Backpropagation through time for ``cell``.

    Attributes
    ----------
    cell
        The cell the gradients were derived from.
    adjoint_of
        Forward symbol → its adjoint symbol within a step (``f_t`` → ``\\delta f_t``, ``x_t`` → ``\\delta x_t``;
        for a parameter, ``\\delta W_f`` is its per-step contribution).
    incoming, upstream, final
        State name → the adjoint of the new state entering the step from outside (the free
        seeds of ``step``: ``\\delta h_t``, and ``\\delta c_t^{\\mathrm{in}}`` for a state the step itself
        reads again); → ``\\bar{h}_t = ∂ℓ_t/∂h_t`` (output states only); → ``∂ℓ_final/∂s_T``.
    step
        The backward equations of one step in evaluation order. Free symbols: forward quantities
        (inputs, previous states, parameters and their column blocks in ``views``, intermediates),
        and ``incoming``.  They define the adjoint of every intermediate, ``outgoing`` and
        ``input_adjoints``.
    outgoing, input_adjoints
        State name → ``\\delta h_{t-1}``; input ident → ``\\delta x_t``.
    parameter_step
        ``\\delta W = …`` per-step contributions to every parameter gradient (and its blocks).
    weight_gradients
        Parameter → :class:`WeightGradient` (``Σ_t δa_{f,t}·[h_{t-1}; x_t]ᵀ``, blocks ``Σ_t δa·hᵀ``...).
    recurrence
        One :class:`Recurrence` per state.
    views
        Weight → its column blocks (``W_f = [W_{fh} | W_{fx}]``), read by the step equations.
    idents
        Every symbol above → a Python identifier (``\\delta a_{f,t}`` → ``da_f``).
    """

    cell: CellSpec
    adjoint_of: dict[MatrixSymbol, MatrixSymbol]
    incoming: dict[str, MatrixSymbol]
    upstream: dict[str, MatrixSymbol]
    final: dict[str, MatrixSymbol]
    step: tuple[Assignment, ...]
    outgoing: dict[str, MatrixSymbol]
    input_adjoints: dict[str, MatrixSymbol]
    parameter_step: tuple[Assignment, ...]
    weight_gradients: dict[MatrixSymbol, WeightGradient]
    recurrence: tuple[Recurrence, ...]
    views: dict[MatrixSymbol, BlockMatrix]
    idents: dict[MatrixSymbol, str]

    def equation(self, symbol: MatrixSymbol) -> str:
        """``lhs = rhs`` in LaTeX for the step (or per-step parameter) equation defining ``symbol``."""
        for a in self.step + self.parameter_step:
            if a.lhs == symbol:
                return f"{latex(a.lhs)} = {latex(a.rhs, order='none')}"
        raise CellError(f"no backward equation defines {symbol.name}")

    def latex(self) -> str:
        """The "Backpropagation through time" section as LaTeX."""
        return _render(self, markdown=False)

    def markdown(self) -> str:
        """The same section as Markdown with ``$$`` math."""
        return _render(self, markdown=True)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        return "\n".join(f"{a.lhs.name} = {latex(a.rhs, order='none')}" for a in self.step)


def bptt(cell: CellSpec, *, outputs: tuple[str, ...] | None = None, rules: dict[type, Rule] | None = None) -> BPTT:
    """Derive backpropagation through time for ``cell`` by reverse mode over its equations.

    Parameters
    ----------
    cell
        Any cell specification, at symbolic or concrete sizes.
    outputs
        Names of the states the per-step loss reads (default: the first state, ``h``).
    rules
        A rule table replacing :data:`symlstm.adjoint.RULES` (tests inject wrong rules).
    """
    names = [s.name for s in cell.states]
    outputs = tuple(outputs) if outputs is not None else names[:1]
    unknown = [o for o in outputs if o not in names]
    if unknown:
        raise CellError(f"cell {cell.name!r} has no state(s) {unknown} to take a loss of; its states are {names}")
    read = {s for a in cell.assignments for s in a.rhs.atoms(MatrixSymbol)}
    incoming, upstream, final, idents = {}, {}, {}, {}
    for s in cell.states:
        current = s.current.symbol
        if current in read:
            incoming[s.name] = MatrixSymbol(r"\delta %s^{\mathrm{in}}" % current.name, *current.shape)
            idents[incoming[s.name]] = f"d{s.name}_in"
        else:
            incoming[s.name] = adjoint_symbol(current)
        if s.name in outputs:
            upstream[s.name] = MatrixSymbol(r"\bar{%s}_t" % s.name, *current.shape)
            idents[upstream[s.name]] = f"{s.name}_bar"
        final[s.name] = MatrixSymbol(r"\bar{%s}_T^{\mathrm{final}}" % s.name, *current.shape)
        idents[final[s.name]] = f"d{s.name}_T"

    variables = cell.variables
    adjoint_of = {v.symbol: adjoint_symbol(v.symbol) for v in variables}
    idents.update({adjoint_of[v.symbol]: f"d{v.ident}" for v in variables})
    views = {g.weight: side_by_side(*g.weight_blocks) for g in cell.gates}
    blocks = [b for g in cell.gates for b in g.weight_blocks]
    adjoint_of.update({b: adjoint_symbol(b) for b in blocks})
    idents.update({b: identifier(b.name) for b in blocks} | {adjoint_of[b]: "d" + identifier(b.name) for b in blocks})
    idents.update({v.symbol: v.ident for v in variables})
    first = set(adjoint_of.values()) | set(incoming.values())

    def tidy(expr: MatrixExpr) -> MatrixExpr:
        return adjoints_first(by_name(expr, cell.assignments), first)

    seeds = {s.current.symbol: incoming[s.name] for s in cell.states}
    found = reverse(cell.assignments, seeds, adjoint_of.__getitem__, views=views, rules=rules, tidy=tidy)
    adjoint_of.update(found.adjoint)
    leaves = [s.previous.symbol for s in cell.states] + [v.symbol for v in cell.inputs]
    outgoing_eqs = tuple(Assignment(adjoint_of[s], found.leaves.get(s, _zero(s)), f"adjoint of {s.name}")
                         for s in leaves)
    params = [p.symbol for p in cell.params] + blocks
    parameter_step = tuple(Assignment(adjoint_of[p], found.leaves.get(p, _zero(p)), f"per-step gradient of {p.name}")
                           for p in params)
    per_step = {a.lhs: a.rhs for a in parameter_step}

    def gradient(p: MatrixSymbol) -> WeightGradient:
        parts = views[p].blocks if p in views else ()
        return WeightGradient(p, gradient_symbol(p), per_step[adjoint_of[p]], tuple(gradient(b) for b in parts))

    for p in params:
        idents[gradient_symbol(p)] = "grad_" + idents[p]
    recurrence = tuple(Recurrence(s.name, incoming[s.name], upstream.get(s.name), adjoint_of[s.previous.symbol],
                                  final[s.name]) for s in cell.states)
    return BPTT(
        cell=cell, adjoint_of=adjoint_of, incoming=incoming, upstream=upstream, final=final,
        step=found.equations + outgoing_eqs,
        outgoing={s.name: adjoint_of[s.previous.symbol] for s in cell.states},
        input_adjoints={v.ident: adjoint_of[v.symbol] for v in cell.inputs},
        parameter_step=parameter_step,
        weight_gradients={p.symbol: gradient(p.symbol) for p in cell.params},
        recurrence=recurrence, views=views, idents=idents,
    )


def _zero(symbol: MatrixSymbol) -> MatrixExpr:
    return ZeroMatrix(*symbol.shape)


# -- the "Backpropagation through time" section --------------------------------------
def _symbols(symbols) -> str:
    return ", ".join(f"${latex(s)}$" for s in symbols)


def _sections(d: BPTT) -> list[tuple[str, object]]:
    """The section as (kind, content) parts: ("h", title), ("p", paragraph), ("m", display lines)."""
    outs = [s for s in d.cell.states if s.name in d.upstream]
    loss_t = " + ".join(rf"\ell_t\left({latex(s.current.symbol)}\right)" for s in outs) or "0"
    finals = ", ".join(latex(at_time(s.current.symbol, "T")) for s in d.cell.states)
    state = ", ".join(latex(s.current.symbol) for s in d.cell.states)
    prev = ", ".join(latex(s.previous.symbol) for s in d.cell.states)
    flows = _symbols(list(d.outgoing.values()) + list(d.input_adjoints.values()))
    split = ", ".join(f"${latex(p)} = {latex(v)}$" for p, v in d.views.items())
    upstream = "".join(rf", ${latex(d.upstream[s.name])} = \partial \ell_t / \partial {latex(s.current.symbol)}$"
                       for s in outs)
    return [
        ("h", "Backpropagation through time"),
        ("p", rf"The loss is $\mathcal{{L}} = \sum_{{t=1}}^{{T}} {loss_t} + \ell_{{\mathrm{{final}}}}({finals})$. "
              r"For a quantity $v$ of step $t$, $\delta v = \partial \mathcal{L} / \partial v$. "
              "The equations below were derived by reverse mode over the cell's equations, one adjoint rule per "
              "kind of node (matrix product, sum, Hadamard product, element-wise function differentiated by "
              "SymPy, block split, transpose); then every sub-expression that the forward pass already computed "
              r"is replaced by its name, so that $\sigma(a)$ appears as the stored activation."),
        ("h2", "One backward step"),
        ("p", f"Given the stored forward quantities and the adjoints entering step $t$ "
              f"({_symbols(d.incoming.values())}), the backward step computes, in this order, the adjoints of "
              f"the step's quantities and what flows back, {flows}."
              + (f" The weights are read in column blocks, {split} (the concatenation claim)." if split else "")),
        ("m", [f"{latex(a.lhs)} &= {latex(a.rhs, order='none')}" for a in d.step]),
        ("h2", "The recurrence"),
        ("p", r"Steps run backwards, $t = T, T-1, \ldots, 1$; $[\,\cdot\,]_{t+1}$ is what the backward step of "
              rf"time $t+1$ computed{upstream}; the final-state terms are 0 when there is no final loss."),
        ("m", [r.latex() for r in d.recurrence]),
        ("p", f"The adjoints leaving step 1 ({_symbols(at_time(s, 1) for s in d.outgoing.values())}) "
              "are the gradients with respect to the initial state."),
        ("h2", "Weight gradients"),
        ("p", "Every step adds its contribution to every parameter; the gradients of the column blocks are the "
              "column blocks of the concatenated gradient (claim split-gradient)."),
        *[("m", [g.latex()] + [b.latex() for b in g.blocks]) for g in d.weight_gradients.values() if g.blocks],
        ("m", [g.latex() for g in d.weight_gradients.values() if not g.blocks]),
        ("h2", "Why the per-step recurrence gives the full gradient"),
        ("p", rf"Write $s_t = ({state})$ and let $G_{{t+1}}(s_t)$ be the loss of steps $t+1, \ldots, T$ and of "
              "the final term, as a function of the state leaving step $t$ (parameters and inputs fixed). "
              r"Induction hypothesis: the adjoints entering step $t$ equal $\partial \ell_t / \partial s_t + "
              r"\partial G_{t+1} / \partial s_t$, the components of $s_t$ treated as separate arguments. "
              r"For $t = T$ this is the definition ($G_{T+1} = \ell_{\mathrm{final}}$). "
              r"If it holds at $t$, the backward step computes $J_t^{\top}$ applied to these adjoints, where "
              rf"$J_t$ is the Jacobian of $s_t$ with respect to $s_{{t-1}} = ({prev})$ (claim per-step VJP); "
              r"by the chain rule that is $\partial G_t / \partial s_{t-1}$, since "
              r"$G_t(s_{t-1}) = \ell_t + G_{t+1}(s_t)$, and adding $\partial \ell_{t-1} / \partial s_{t-1}$ gives "
              r"the hypothesis at $t-1$. The parameters and inputs of step $t$ enter $\mathcal{L}$ only through "
              r"$s_t$, so their gradients are the same Jacobian-transpose products, summed over the steps in "
              r"which they appear; the adjoints leaving step 1 are $\partial \mathcal{L} / \partial s_0$. "
              "The claims check this against SymPy's derivative of the unrolled loss (T = 2) and a "
              "high-precision numerical derivative (T up to 6)."),
    ]


def _render(d: BPTT, markdown: bool) -> str:
    out = []
    for kind, content in _sections(d):
        if kind == "m" and not content:
            continue
        if kind == "h":
            out.append(f"## {content}" if markdown else rf"\section{{{content}}}")
        elif kind == "h2":
            out.append(f"### {content}" if markdown else rf"\subsection*{{{content}}}")
        elif kind == "p":
            out.append(content)
        elif markdown:
            out.append("$$\n\\begin{aligned}\n" + " \\\\\n".join(content) + "\n\\end{aligned}\n$$")
        else:
            out.append("\\begin{align*}\n" + " \\\\\n".join(content) + "\n\\end{align*}")
    return "\n\n".join(out) + "\n"
