"""Where each value of a :class:`~symlstm.codegen.program.Program` lives, and its Python name.

Every value of the mathematics lives in an array the generated code allocates once:

* a value kept for every step (``h_t``, ``a_t``, ``tanh(c_t)``, ``δa_t``) in ``<name>_all`` of shape
  (T, B, k) — states get T + 1 rows, row 0 being the initial state, so ``h_{t-1}`` is ``h_all[t]``;
* a value of one step only in a (B, k) array reused by every step;
* rows of a stack (``a_{f,t}``, ``δa_{f,t}``) in a view of the stack's array, and a value that
  overwrites another (``f_t = σ(a_{f,t})``, ``δh_{t-1}`` after ``δh_t``) in that value's array.

Every name comes from one :class:`~symlstm.codegen.names.Namespace` (:meth:`Storage._name_everything`).
"""

from __future__ import annotations

import sympy as sp
from sympy import MatrixSymbol

from symlstm.codegen.names import Namespace
from symlstm.codegen.printer import CodegenError
from symlstm.codegen.program import Program
from symlstm.codegen.statements import notes


class Storage:
    """The arrays and names of ``program``'s values (see the module docstring)."""

    def __init__(self, program: Program):
        self.program = program
        self.cell = program.layout.cell
        self.views = program.views
        self.batched = self._batched()
        clash = sorted({s.name for s in self.cell.size_symbols if s.name in Namespace()})
        if clash:
            raise CodegenError(f"cell {self.cell.name!r} uses the reserved name(s) {clash} for its sizes")
        self._name_everything()
        #: The comment of each rule: a claim cited only if ``symlstm verify`` checks it for this cell.
        self.notes = notes(self.cell)
        self.states = {st.previous.symbol: (st, "prev") for st in self.cell.states}
        self.states.update({st.current.symbol: (st, "cur") for st in self.cell.states})
        #: The (B, k) array carrying each state's adjoint from step t + 1 to step t (``δh_{t-1}`` → ``δh_t``);
        #: the incoming adjoint shares it unless it is kept for every step or read after the outgoing one.
        self.buffers = {}
        for r in program.bptt.recurrence:
            shared = program.overwrites.get(r.outgoing) == r.incoming and r.incoming not in program.stored
            self.buffers[r.outgoing] = self.ident[r.incoming if shared else r.outgoing]
            if shared:
                self.buffers[r.incoming] = self.buffers[r.outgoing]
        forward = {self.base(s.lhs) for s in (*program.hoisted, *program.forward)}
        #: The arrays kept for every step by the forward pass and by the backward pass, in order.
        self.kept_forward = sorted((s for s in program.stored if s in forward), key=self.storage)
        self.kept_backward = sorted((s for s in program.stored if s not in forward), key=self.storage)

    def _name_everything(self) -> None:
        """Every Python name of the module's values, from one :class:`~.names.Namespace`: the cell's own names
        first (sizes, then its variables' identifiers), then the module parameters' locals, the functions'
        array arguments and every name the generator invents (a wanted name held by another becomes
        ``<name>_2``; symbols of one array wanting one name share it)."""
        p, cell = self.program, self.cell
        self.namespace = ns = Namespace({s.name for s in cell.size_symbols})
        own = {v.symbol: ns.fresh(v.ident) for v in cell.variables}
        invented: dict[tuple, str] = {}

        def invent(want: str, array: tuple | None = None) -> str:
            key = (want, array)
            if key not in invented:
                invented[key] = ns.fresh(want)
            return invented[key]

        #: The local name of each internal parameter (``weight_hh``, a kept ``W_nx``; see ``layout.parts``).
        self.local = {v.ident: own[v.symbol] for v in p.layout.kept}
        for param in p.layout.params:
            for name in p.layout.rows_of(param.name):
                if name not in self.local and name not in p.layout.scattered:
                    self.local[name] = invent(name)
        for name in p.layout.assembled:  # a declared cell's stacks (:mod:`.declared`)
            self.local[name] = invent(name)
        #: The array arguments of the module's functions: inputs ``xs``, upstream ``dhs``, initial ``h0``, final ``dhT``.
        self.inputs = {v.symbol: ns.fresh(f"{own[v.symbol]}s") for v in cell.inputs}
        self.upstream = {r.upstream: ns.fresh(f"d{r.state}s") for r in p.bptt.recurrence if r.upstream is not None}
        self.initial = {st.name: ns.fresh(f"{st.name}0") for st in cell.states}
        self.final = {st.name: ns.fresh(f"d{st.name}T") for st in cell.states}
        def array(symbol: MatrixSymbol) -> tuple:  # which array a symbol is: its stack's rows, or itself
            base, lo, hi = self.views.get(symbol, (symbol, 0, symbol.shape[0]))
            return (base, 0, base.shape[0]) if (lo, hi) == (0, base.shape[0]) else (base, lo, hi)

        # symbols for one array that want one name share it (tanh form's ã_{f,t} in the rows of a_{f,t}); a
        # symbol for another array wanting a taken name gets a fresh one (δa_t of a cell's a_t beside the stack's δA_t)
        for symbol in own:
            if symbol in p.idents:
                invented[(p.idents[symbol], array(symbol))] = own[symbol]
        self.ident = {symbol: own[symbol] if symbol in own else invent(want, array(symbol))
                      for symbol, want in p.idents.items()}
        self._derived: dict[tuple[str, str], str] = {}

    def derived(self, name: str, suffix: str) -> str:
        """The name for ``name`` + ``suffix`` (``h_all``, ``x_seq``, ``weight_hh_T``), the same every time."""
        key = (name, suffix)
        if key not in self._derived:
            self._derived[key] = self.namespace.fresh(name + suffix)
        return self._derived[key]

    def base(self, symbol: MatrixSymbol) -> MatrixSymbol:
        """The stack ``symbol`` is rows of, or ``symbol`` itself."""
        return self.views[symbol][0] if symbol in self.views else symbol

    def _batched(self) -> set[MatrixSymbol]:
        p = self.program
        self.shared = {v.symbol for v in self.cell.params} | {s.lhs for s in p.prepared}
        self.shared |= {s for st in p.layout.stacks for s in (*st.weights, st.bias)}
        symbols = set()
        for s in (*p.hoisted, *p.forward, *p.backward, *p.after):
            symbols |= s.reads | {s.lhs}
        symbols |= set(self.views) | {st.preactivation for st in p.layout.stacks}
        symbols |= {st.adjoint for st in p.layout.stacks}
        symbols |= {s for r in p.bptt.recurrence for s in (r.incoming, r.upstream, r.outgoing) if s is not None}
        return {s for s in symbols if s not in self.shared and not self._is_block(s)}

    def _is_block(self, symbol: MatrixSymbol) -> bool:
        """Whether ``symbol`` is rows of a parameter (``W_{fh}`` of ``weight_hh``, ``b_f`` of ``b``)."""
        return symbol in self.views and self.views[symbol][0] in self.shared

    # -- where each value lives ------------------------------------------------------
    def rows(self, symbol: MatrixSymbol) -> str:
        """The number of rows of ``symbol`` as code (``4*n``)."""
        return self.size(symbol.shape[0])

    @staticmethod
    def size(expr: sp.Expr) -> str:
        return str(expr).replace(" ", "")

    def _place(self, name: str) -> tuple[str, str]:
        """The module parameter holding the internal parameter ``name`` and its rows there, ``("weight_ih",
        "[2*n:]")``; ``(name, "")`` for a parameter that is its own (see :class:`~symlstm.codegen.layout.Part`)."""
        part = self.program.layout.parts.get(name)
        if part is None:
            return name, ""
        total = self.program.layout.param(part.param).shape[0]
        lo = "" if part.lo == 0 else self.size(part.lo)
        hi = "" if part.hi == total else self.size(part.hi)
        return part.param, f"[{lo}:{hi}]"

    def parameter(self, name: str, mapping: str) -> str:
        """Where the internal parameter ``name`` is in ``mapping``: ``weights["b"]``, ``weights["weight_ih"][2*n:]``."""
        if name in self.program.layout.assembled and mapping == "grads":  # built from the declared ones
            return self.derived(self.local[name], "_grad")
        param, rows = self._place(name)
        return f'{mapping}["{param}"]{rows}'

    def shown(self, name: str) -> str:
        """An internal parameter's name for a comment: a stack's rows as rows, ``bias_ih[:2*n]``; others as named."""
        if any(name == v.ident for v in self.program.layout.kept):
            return name
        return "".join(self._place(name))

    def storage(self, symbol: MatrixSymbol) -> str:
        """The (T, B, k) array of a value kept for every step."""
        if symbol in self.states:
            return self.derived(self.states[symbol][0].name, "_all")
        return self.derived(self.ident[symbol], "_all")

    def step_code(self, symbol: MatrixSymbol) -> str | None:
        """The code of ``symbol`` at step t (None for a (B, k) array allocated before the loop)."""
        if symbol in self.states:
            state, when = self.states[symbol]
            return f"{self.storage(symbol)}[t]" if when == "prev" else f"{self.storage(symbol)}[t + 1]"
        if symbol in self.inputs:
            return f"{self.inputs[symbol]}[t]"
        if symbol in self.upstream:
            return f"{self.upstream[symbol]}[t]"
        if symbol in self.program.stored:
            return f"{self.storage(symbol)}[t]"
        return None

    def seq_code(self, symbol: MatrixSymbol) -> str:
        """The code of ``symbol`` for all steps, time flattened into the batch: (T·B, k)."""
        shape = f"T * B, {self.rows(symbol)}"
        if symbol in self.states:
            state, when = self.states[symbol]
            rows = "[:-1]" if when == "prev" else "[1:]"
            return f"{self.storage(symbol)}{rows}.reshape({shape})"
        if symbol in self.inputs:
            return f"{self.inputs[symbol]}.reshape({shape})"
        if symbol in self.program.stored:
            return f"{self.storage(symbol)}.reshape({shape})"
        raise CodegenError(f"{symbol.name} is needed for all steps at once but is not kept for every step")

    def slice(self, symbol: MatrixSymbol, base: str) -> str:
        """The rows of ``symbol`` in the array ``base`` of its stack (``base`` itself if it is all of it)."""
        _, lo, hi = self.views[symbol]
        if lo == 0 and hi == self.views[symbol][0].shape[0]:
            return base
        start = "" if lo == 0 else self.size(lo)
        stop = "" if hi == self.views[symbol][0].shape[0] else self.size(hi)
        return f"{base}[{start}:{stop}]" if self._is_block(symbol) else f"{base}[:, {start}:{stop}]"

    def shared_names(self) -> dict[MatrixSymbol, str]:
        """Names of the parameters, the values prepared from them, and their row blocks (``weight_hh[n:2*n]``)."""
        p = self.program
        names = {v.symbol: self.ident[v.symbol] for v in p.layout.kept}
        names.update({s.lhs: self.ident[s.lhs] for s in p.prepared})
        for stack in p.layout.stacks:
            names.update({w: self.local[w.name] for w in stack.weights})
            names[stack.bias] = self.ident[stack.bias]
        for symbol, (base, _, _) in self.views.items():
            if base in names:
                names[symbol] = self.slice(symbol, names[base])
        return names
