r"""The forward and backward passes of a :class:`~symlstm.codegen.program.Program`, printed as Python.

Every value of the mathematics lives in an array the generated code allocates once:

* a value kept for every step (``h_t``, ``a_t``, ``tanh(c_t)``, ``δa_t``) in ``<name>_all`` of shape
  (T, B, k) — states get T + 1 rows, row 0 being the initial state, so ``h_{t-1}`` is ``h_all[t]``;
* a value of one step only in a (B, k) array reused by every step;
* rows of a stack (``a_{f,t}``, ``δa_{f,t}``) in a view of the stack's array, and a value that
  overwrites another (``f_t = σ(a_{f,t})``, ``δh_{t-1}`` after ``δh_t``) in that value's array.

Inside a loop the statements see step ``t`` through short local names (``a = a_all[t]``); before and
after a loop they see all steps at once with time flattened into the batch (``a_seq``, (T·B, k)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp
from sympy import MatMul, MatrixSymbol, Transpose

from symlstm.codegen.kernels import Kernel, elementwise
from symlstm.codegen.names import Namespace
from symlstm.codegen.printer import BatchedNumPyPrinter, CodegenError
from symlstm.codegen.program import Program
from symlstm.codegen.statements import NOTES, Statement
from symlstm.printing.text import TextPrinter

_PLAIN = ((r"\delta ", "δ"), (r"^{\mathrm{in}}", "^in"), (r"\tilde{a}", "ã"), ("\\", ""))


def words(lines: list[str]) -> set[str]:
    """The names ``lines`` of code use, comments and string literals left out."""
    return set(re.findall(r"\w+", "\n".join(re.sub(r'#.*|"[^"]*"', "", line) for line in lines)))


def plain(name: str) -> str:
    r"""A LaTeX name as plain text for comments: ``\delta c_t^{\mathrm{in}}`` → ``δc_t^in``, ``\bar{h}`` → ``h̄``."""
    name = re.sub(r"\\bar\{(\w)\}", "\\1\u0304", name)
    for old, new in _PLAIN:
        name = name.replace(old, new)
    return name


class CommentPrinter(TextPrinter):
    """The text printer with plain names and ``u^∘2`` for a Hadamard power, for comments in the code."""

    def _print_MatrixSymbol(self, expr: MatrixSymbol) -> str:
        return plain(expr.name)

    def _print_HadamardPower(self, expr) -> str:
        return f"{self.parenthesize(expr.base, 1000)}^∘{self._print(expr.exp)}"


def text(expr: sp.Basic) -> str:
    """``expr`` as one line of plain text for a comment."""
    return CommentPrinter().doprint(expr)


@dataclass
class Section:
    """Lines of code for one part of a pass, with what they need allocated first."""

    lines: list[str] = field(default_factory=list)
    scratch: dict[str, sp.Expr] = field(default_factory=dict)
    helpers: dict[str, str] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)


class Passes:
    """Prints the passes of ``program``: where each value lives, and each section's statements."""

    def __init__(self, program: Program):
        self.program = program
        self.cell = program.layout.cell
        self.views = program.views
        self.batched = self._batched()
        clash = sorted({s.name for s in self.cell.size_symbols if s.name in Namespace()})
        if clash:
            raise CodegenError(f"cell {self.cell.name!r} uses the reserved name(s) {clash} for its sizes")
        self._name_everything()
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
                if name not in self.local:
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

    # -- sections ----------------------------------------------------------------------
    def _printer(self, names: dict) -> BatchedNumPyPrinter:
        return BatchedNumPyPrinter({**self.shared_names(), **names}, self.batched)

    def _comment(self, statement: Statement) -> str:
        note = f"  [{NOTES[statement.rule]}]" if statement.rule else ""
        over = self.program.overwrites.get(statement.lhs)
        over = f", in place of {text(over)}" if over is not None else ""
        return f"# {text(statement.lhs)} = {text(statement.rhs)}{over}{note}"

    def loop(self, statements: tuple[Statement, ...], fuse_as: str | None = None) -> Section:
        """The body of a time loop: bindings of step t's local names, then the statements; with ``fuse_as``
        (``"forward"``), runs of element-wise statements as calls of kernels ``_forward_kernel_<k>``."""
        used = set()
        for s in statements:
            used |= s.reads | {s.lhs}
        names, bindings, section = {}, [], Section()
        bases = {self.views[s][0] for s in used if s in self.views and s in self.batched}
        for symbol in sorted(used | bases, key=lambda s: s.name):
            if symbol not in self.batched or symbol in self.views:
                continue
            if symbol in self.buffers:
                names[symbol] = self.buffers[symbol]
                continue
            code = self.step_code(symbol)
            names[symbol] = self.ident[symbol]
            if code is not None:
                bindings.append(f"{self.ident[symbol]} = {code}")
            elif symbol in used:
                section.scratch[self.ident[symbol]] = symbol.shape[0]
        same_rows: dict[str, list[str]] = {}  # views of the same rows are one array: `i = a_i = a[:, :n]`
        for symbol in sorted(used & set(self.views), key=lambda s: s.name):
            if symbol in self.batched:
                names[symbol] = self.ident[symbol]
                same_rows.setdefault(self.slice(symbol, names[self.views[symbol][0]]), []).append(names[symbol])
        for code, group in same_rows.items():
            if code in group:  # all the rows of an array already named
                group.remove(code)
                for symbol in [s for s, name in names.items() if name in group]:
                    names[symbol] = code
            elif group:
                bindings.append(f"{' = '.join(sorted(group))} = {code}")
        for weight in sorted(self._left_factors(statements), key=lambda w: w.name):
            # W·v is v @ Wᵀ: a contiguous copy of Wᵀ made once makes every step's GEMM a plain (NN) one
            name = self.derived(self.shared_names()[weight], "_T")
            names[Transpose(weight)] = name
            section.setup.append(f"{name} = np.ascontiguousarray({self.shared_names()[weight]}.T)"
                                 "  # contiguous, for the loop's GEMM")
        printer = self._printer(names)
        body = []
        for fused, run in self._runs(statements, names, fuse_as is not None):
            if fused:
                kernel = self._kernel(f"_{fuse_as}_kernel_{len(section.helpers)}", run, statements, names)
                section.helpers[kernel.name] = kernel.source
                body += [self._comment(s) for s in run] + [f"{kernel.call()}  # [{NOTES['fused']}]"]
                continue
            for s in run:
                body.append(self._comment(s))
                body += printer.assign(names[s.lhs], s.rhs)
        used_names = words(body)
        kept = []
        for line in reversed(bindings):  # `i_f = tanh_a_if = a[:, :2*n]`: the names something reads
            *targets, code = line.split(" = ")
            targets = [name for name in targets if name in used_names]
            if targets:
                kept.append(" = ".join([*targets, code]))
                used_names |= words([code])
        section.lines = kept[::-1] + body
        section.scratch.update(printer.scratch)
        section.scratch = {name: rows for name, rows in section.scratch.items() if name in used_names}
        section.helpers.update(printer.helpers)
        return section

    # -- fused element-wise kernels (see symlstm.codegen.kernels) -----------------------
    def _vector(self, symbol: MatrixSymbol) -> bool:
        """Whether ``symbol`` has one element per (row of the batch, element j): batched, or a shared vector."""
        return symbol in self.batched or symbol.shape[1] == 1

    def _runs(self, statements, names, fuse: bool) -> list[tuple[bool, list[Statement]]]:
        """``statements`` in runs: consecutive element-wise ones that NumPy would run as two or more calls
        are a fused run (True) when ``fuse``; every other statement is a run of its own (False)."""
        runs: list[tuple[bool, list[Statement]]] = []
        pending: list[Statement] = []

        def flush():
            counter = self._printer(names)  # a throwaway printer: its scratch arrays are not allocated
            calls = sum(len(counter.assign(names[s.lhs], s.rhs)) for s in pending)
            if calls >= 2:
                runs.append((True, list(pending)))
            else:
                runs.extend((False, [s]) for s in pending)
            pending.clear()

        def arrays(symbols) -> set[str]:
            return {names[self.base(s)] for s in symbols if self.base(s) in names}

        for s in statements:
            if not (fuse and s.lhs in self.batched and elementwise(s.rhs, self._vector)):
                flush()
                runs.append((False, [s]))
                continue
            # a statement after a fused run and some others joins the run if it commutes with them:
            # they neither write what it reads nor read or write what it writes (array by array)
            last = max((k for k, (fused, _) in enumerate(runs) if fused), default=None)
            between = [g for _, run in runs[last + 1:] for g in run] if last is not None else []
            if not pending and between and all(
                    not arrays({g.lhs}) & arrays(s.reads | {s.lhs}) and not arrays(g.reads) & arrays({s.lhs})
                    for g in between):
                runs[last][1].append(s)
                continue
            pending.append(s)
        flush()
        return runs

    def _kernel(self, name: str, run: list[Statement], statements, names) -> Kernel:
        """The kernel of a fused ``run`` of the loop body ``statements``: consecutive statements of equal
        rows share one loop over the elements, where a per-step value read only there lives in a local."""
        groups: list[tuple[str, list[Statement]]] = []
        for s in run:
            rows = self.rows(s.lhs)
            if not groups or groups[-1][0] != rows:
                groups.append((rows, []))
            groups[-1][1].append(s)
        local = set()
        for _, group in groups:
            for k, s in enumerate(group):
                if s.lhs in self.views or s.lhs in self.buffers or self.step_code(s.lhs) is not None:
                    continue
                readers = [r for r in statements if s.lhs in r.reads]
                if sum(r.lhs == s.lhs for r in statements) == 1 and all(r in group[k + 1:] for r in readers):
                    local.add(s.lhs)
        shared = self.shared_names()
        sizes = set()

        def element(symbol: MatrixSymbol) -> tuple[str, str | None]:
            if symbol not in self.batched:
                return shared[symbol], None
            if symbol in self.views:
                base, lo, _ = self.views[symbol]
                sizes.update(str(x) for x in sp.sympify(lo).free_symbols)  # the offset's sizes
                return names[base], self.size(lo)
            return names[symbol], "0"

        sizes.update(str(x) for s in run for x in s.lhs.shape[0].free_symbols)  # the loops' sizes
        kernel = Kernel(name, [(rows, [(s.lhs, s.rhs, f"{text(s.lhs)} = {text(s.rhs)}") for s in group])
                               for rows, group in groups], element, local, self.ident, sorted(sizes))
        return kernel

    def _seq_names(self, used: set[MatrixSymbol], targets: dict[MatrixSymbol, str],
                   section: Section) -> dict[MatrixSymbol, str]:
        """Local names ``<ident>_seq`` for all steps of the values in ``used`` (bindings go to ``section``)."""
        names = {}
        bases = {self.views[s][0] for s in used if s in self.views and s in self.batched}
        for symbol in sorted(used | bases, key=lambda s: s.name):
            if symbol in self.batched and symbol not in self.views:
                names[symbol] = self.derived(self.ident[symbol], "_seq")
                section.lines.append(f"{names[symbol]} = {targets.get(symbol) or self.seq_code(symbol)}")
        for symbol in sorted(used & set(self.views), key=lambda s: s.name):
            if symbol in self.batched:
                names[symbol] = self.slice(symbol, names[self.views[symbol][0]])
        return names

    def prepared(self) -> Section:
        """Values computed once from the parameters, before the loops (e.g. ``Γ·weight_hh``)."""
        section = Section()
        printer = self._printer({})
        for s in self.program.prepared:
            section.lines += [self._comment(s), f"{self.ident[s.lhs]} = {printer.value(s.rhs)}"]
        section.helpers.update(printer.helpers)
        return section

    def _left_factors(self, statements: tuple[Statement, ...]) -> set[MatrixSymbol]:
        """Shared symbols W of products W·v (v batched) in ``statements``."""
        found = set()
        for s in statements:
            for node in s.rhs.atoms(MatMul):
                _, factors = node.as_coeff_matrices()
                if len(factors) == 2 and isinstance(factors[0], MatrixSymbol) and factors[0] not in self.batched \
                        and factors[1] in self.batched:
                    found.add(factors[0])
        return found

    def sequence(self, statements: tuple[Statement, ...], targets: dict[MatrixSymbol, str]) -> Section:
        """Statements over all steps at once (time flattened into the batch) before or after a loop."""
        section = Section()
        names = self._seq_names(set().union(*(s.reads | {s.lhs} for s in statements)), targets, section)
        printer = self._printer(names)
        printer.scratch_prefix = "_q"
        body = []
        for s in statements:
            body.append(self._comment(s))
            body += printer.assign(names[s.lhs], s.rhs)
        section.lines += [f"{name} = np.empty((T * B, {self.size(rows)}), DTYPE)"
                          for name, rows in printer.scratch.items()] + body
        section.helpers.update(printer.helpers)
        return section

    def gradients(self) -> Section:
        """``grads[name] = Σ_t …`` for every module parameter, each one GEMM or sum over all T·B rows.

        A parameter holding packed rows (:class:`~symlstm.codegen.layout.Part`) is allocated first and
        each internal parameter's gradient written into its rows.
        """
        section, done = Section(), {}
        layout = self.program.layout
        used = set().union(*(e.atoms(MatrixSymbol) for _, e in self.program.gradients))
        printer = self._printer(self._seq_names(used, {}, section))
        computed = {name for name, _ in self.program.gradients}
        for param in layout.params:
            inner = layout.rows_of(param.name)
            if inner != [param.name]:
                fill = "empty" if set(inner) <= computed else "zeros"
                shape = ", ".join(self.size(d) for d in param.shape) + ("," if len(param.shape) == 1 else "")
                section.lines.append(f'grads["{param.name}"] = np.{fill}(({shape}), DTYPE)  '
                                     f"# rows: {', '.join(self.shown(name) for name in inner)}")
        for name, expr in self.program.gradients:
            target = self.parameter(name, "grads")
            section.lines.append(f"# ∂L/∂{self.shown(name)} = Σ_t {text(expr)}  [{NOTES['sum']}]")
            if expr in done:
                source = self.parameter(done[expr], "grads")
                section.lines.append(f"{target} = {source}" + ("" if name in layout.parts else ".copy()"))
                continue
            code = printer.value(expr, shared=True)
            if name in layout.parts:  # written into rows of a contiguous array: no contiguous copy first
                code = re.sub(r"^np\.ascontiguousarray\((.*)\)$", r"\1", code)
            section.lines.append(f"{target} = {code}")
            done[expr] = name
        section.helpers.update(printer.helpers)
        return section
