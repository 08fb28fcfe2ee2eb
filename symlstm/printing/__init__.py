"""Printers: SymPy printer subclasses that know symlstm's nodes (σ, tanh, ⊙, blocks)."""
