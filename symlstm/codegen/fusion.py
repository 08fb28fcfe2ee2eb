"""Runs of element-wise statements of a loop body fused into numba kernels (see :mod:`symlstm.codegen.kernels`)."""

from __future__ import annotations

import sympy as sp
from sympy import MatrixSymbol

from symlstm.codegen.comments import text
from symlstm.codegen.kernels import Kernel, elementwise
from symlstm.codegen.statements import Statement


class Fusion:
    """Mixin of :class:`~symlstm.codegen.generate.Passes`: which statements of a loop body run as one kernel."""

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
