r"""The forward and backward passes of a :class:`~symlstm.codegen.program.Program`, printed as Python.

Where each value lives and its name: :mod:`.storage`; which element-wise statements are fused: :mod:`.fusion`.
Inside a loop the statements see step ``t`` through short local names (``a = a_all[t]``); before and
after a loop they see all steps at once with time flattened into the batch (``a_seq``, (T·B, k)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp
from sympy import MatMul, MatrixSymbol, Transpose

from symlstm.codegen.comments import plain, text, words
from symlstm.codegen.declared import scatter
from symlstm.codegen.fusion import Fusion
from symlstm.codegen.kinds import atom
from symlstm.codegen.printer import BatchedNumPyPrinter
from symlstm.codegen.statements import NOTES, Statement
from symlstm.codegen.storage import Storage

__all__ = ["Passes", "Section", "plain", "text", "words"]


@dataclass
class Section:
    """Lines of code for one part of a pass, with what they need allocated first."""

    lines: list[str] = field(default_factory=list)
    scratch: dict[str, sp.Expr] = field(default_factory=dict)
    helpers: dict[str, str] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)


class Passes(Fusion, Storage):
    """Prints the passes of ``program``: each section's statements (storage and names from :class:`Storage`)."""

    def _printer(self, names: dict) -> BatchedNumPyPrinter:
        matrices = {w for st in self.program.layout.stacks for w in st.weights}
        matrices |= {s for s, (base, _, _) in self.views.items() if base in matrices}
        return BatchedNumPyPrinter({**self.shared_names(), **names}, self.batched, matrices=matrices)

    def _comment(self, statement: Statement) -> str:
        note = f"  [{self.notes[statement.rule]}]" if statement.rule else ""
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
                bindings.append(([self.ident[symbol]], code, set()))
            elif symbol in used:
                section.scratch[self.ident[symbol]] = symbol.shape[0]
        same_rows: dict[str, list[str]] = {}  # views of the same rows are one array: `i = a_i = a[:, :n]`
        base_of: dict[str, str] = {}  # the array such a binding reads
        for symbol in sorted(used & set(self.views), key=lambda s: s.name):
            if symbol in self.batched:
                names[symbol] = self.ident[symbol]
                code = self.slice(symbol, names[self.views[symbol][0]])
                same_rows.setdefault(code, []).append(names[symbol])
                base_of[code] = names[self.views[symbol][0]]
        for code, group in same_rows.items():
            if code in group:  # all the rows of an array already named
                group.remove(code)
                for symbol in [s for s, name in names.items() if name in group]:
                    names[symbol] = code
            elif group:
                bindings.append((sorted(group), code, {base_of[code]}))
        for weight in sorted(self._left_factors(statements), key=lambda w: w.name):
            # W·v is v @ Wᵀ: a contiguous copy of Wᵀ made once makes every step's GEMM a plain (NN) one
            name = self.derived(self.shared_names()[weight], "_T")
            names[Transpose(weight)] = name
            section.setup.append(f"{name} = np.ascontiguousarray({self.shared_names()[weight]}.T)"
                                 "  # contiguous, for the loop's GEMM")
        printer = self._printer(names)
        body, read = [], set()  # the statements, and the names they read or write (from the statement objects)
        for fused, run in self._runs(statements, names, fuse_as is not None):
            if fused:
                kernel = self._kernel(f"_{fuse_as}_kernel_{len(section.helpers)}", run, statements, names)
                section.helpers[kernel.name] = kernel.source
                body += [self._comment(s) for s in run] + [f"{kernel.call()}  # [{NOTES['fused']}]"]
                read |= set(kernel.args)
                continue
            for s in run:
                body.append(self._comment(s))
                body += printer.assign(names[s.lhs], s.rhs)
                read.add(names[s.lhs])
        read |= printer.used | set(printer.scratch)
        kept = []
        for targets, code, reads in reversed(bindings):  # `i_f = tanh_a_if = a[:, :2*n]`: the names read
            targets = [name for name in targets if name in read]
            if targets:
                kept.append(" = ".join([*targets, code]))
                read |= reads
        section.lines = kept[::-1] + body
        section.scratch.update(printer.scratch)
        section.scratch = {name: rows for name, rows in section.scratch.items() if name in read}
        section.helpers.update(printer.helpers)
        return section

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
            shape = layout.assembled[name].shape if name in layout.assembled else layout.param(layout.holder(name)).shape
            column = len(shape) == 2 and expr.shape[1] == 1  # a (k, 1) weight of 𝟏
            if (expr, column) in done:
                source = self.parameter(done[expr, column], "grads")
                section.lines.append(f"{target} = {source}" + ("" if name in layout.parts else ".copy()"))
                continue
            code = printer.value(expr, shared=True)
            if column:
                code = f"{atom(code)}[:, None]"
            if name in layout.parts:  # written into rows of a contiguous array: no contiguous copy first
                code = re.sub(r"^np\.ascontiguousarray\((.*)\)$", r"\1", code)
            section.lines.append(f"{target} = {code}")
            done[expr, column] = name
        stacked = {name: self.parameter(name, "grads") for name in computed if name in layout.assembled}
        for param in layout.params:  # a parameter nothing the loss depends on reads: its gradient is 0
            code = scatter(layout, param.name, stacked) if param.name in layout.scattered else None
            if code is not None:
                section.lines.append(f'grads["{param.name}"] = {code}  # its rows of the stacks\' gradients')
            elif param.name in layout.scattered or not any(layout.holder(name) == param.name for name in computed):
                shape = ", ".join(self.size(d) for d in param.shape) + ("," if len(param.shape) == 1 else "")
                section.lines.append(f'grads["{param.name}"] = np.zeros(({shape}), DTYPE)  # nothing reads it')
        section.helpers.update(printer.helpers)
        return section
