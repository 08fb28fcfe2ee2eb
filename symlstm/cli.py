"""The ``symlstm`` command: derive, verify, explain, codegen, convert.

Every user error ends in one line on stderr (``symlstm: error: …``) and exit status 2; a claim that
should hold but does not makes ``verify`` exit 1. No traceback is ever shown: an unexpected error is one line
too, and Ctrl-C (or SIGTERM) prints ``symlstm: interrupted`` and exits 130 (143), every file written whole
or not at all (:mod:`symlstm.files`).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from symlstm._version import __version__
from symlstm.cells import cell as make_cell
from symlstm.cells import known_cells
from symlstm.claims.base import MEANINGS, Claim
from symlstm.codegen import generate_numpy
from symlstm.derivation import write_derivation
from symlstm.entries import json_argument
from symlstm.errors import ShapeError
from symlstm.explain import explain
from symlstm.files import write_text
from symlstm.layouts import convert_file, known_formats
from symlstm.parallel import default_workers
from symlstm.render import RenderResult
from symlstm.report import check_all, summary_line, summary_table
from symlstm.shapes_picture import picture_problem, write_shapes_picture
from symlstm.spec import CellSpec
from symlstm.userfile import is_user_cell, load_cell
from symlstm.verification import claims_for

#: The seed question's numbers: its 2×2 W, and the corrected 2×4 W_f = [W | W].
SEED_W = [[0, 1], [2, 3]]
SEED_H = [-1, 2]
SEED_X = [3, 0]
SEED_B = [1, -2]
SEED_W_CORRECTED = [row + row for row in SEED_W]


class UserError(Exception):
    """A problem with what the user asked for; reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        raise UserError(message)


def _cell_from(args: argparse.Namespace) -> CellSpec:
    if is_user_cell(args.cell):
        options = [flag for flag, given in (("--peephole", args.peephole), ("--cifg", args.cifg),
                                            ("--proj-size", args.proj_size is not None)) if given]
        if options:
            raise UserError(f"{', '.join(options)}: only for the built-in LSTM, not for a cell from a file "
                            f"({args.cell}); write the variant in your file instead")
        return load_cell(args.cell)
    return make_cell(args.cell, peephole=args.peephole, cifg=args.cifg, proj_size=args.proj_size)


def _verdict_line(claim: Claim, width: int = 28) -> str:
    """One claim's line of ``verify``: its name padded to ``width`` (the longest name), verdict, time, reason."""
    verdict = claim.check()
    expected = "" if claim.expected else (" (as expected)" if claim.as_expected else " (expected refuted)")
    mark = "ok  " if claim.as_expected else "FAIL"
    return f"{mark} {claim.name:<{width}} {verdict.status}{expected} [{verdict.seconds:.2f}s] — {verdict.explanation}"


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _report(result: RenderResult) -> list[Path]:
    if result.note:
        print(f"note: {result.note}", file=sys.stderr)
    return list(result.files)


def cmd_derive(args: argparse.Namespace) -> int:
    cell = _cell_from(args)
    derivation = write_derivation(cell, args.out, pictures=not args.no_pictures, progress=_progress)
    for note in derivation.notes:
        print(f"note: {note}", file=sys.stderr)
    backward = "no" if derivation.gradients is None else len(derivation.gradients.step)
    print(f"derived {cell.describe()}: {len(cell.assignments)} forward and {backward} backward equations")
    for path in derivation.files:
        print(f"wrote {path}")
    print(summary_table(derivation.claims))
    return 0 if derivation.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    cell = _cell_from(args)
    claims = claims_for(cell)
    width = max(len(claim.name) for claim in claims)
    # each claim once: its line as it finishes (which is the progress), then the count
    check_all(claims, done=lambda claim: print(_verdict_line(claim, width), flush=True), workers=default_workers())
    print()
    print(summary_line(claims))
    return 0 if all(claim.as_expected for claim in claims) else 1


def _json_argument(name: str, value: str) -> object:
    try:
        return json_argument(name, value)
    except ValueError as error:
        raise UserError(str(error)) from None


def _picture(explanation, path: str) -> None:
    """Write the shape picture to ``path`` (and no other file), or raise UserError saying why not."""
    replaced = Path(path).exists()
    result = write_shapes_picture(explanation, path)
    if not result.files:
        raise UserError(result.note)
    for written in _report(result):
        print(f"wrote {written}" + (" (replacing the file that was there)" if replaced else ""))


def cmd_explain(args: argparse.Namespace) -> int:
    if args.picture and picture_problem(args.picture):  # before the walkthrough is printed
        raise UserError(picture_problem(args.picture))
    given = {k: getattr(args, k) for k in ("W", "h", "x", "b")}
    if all(v is None for v in given.values()):
        print("The question's W is 2×2, with h = [-1, 2], x = [3, 0], b = [1, -2]:")
        try:
            explain(SEED_W, SEED_H, SEED_X, SEED_B, gate=args.gate)
        except ShapeError as error:
            print(f"  {error}")
        print(f"\nWith W_{args.gate} = [W | W] = {SEED_W_CORRECTED}, which is 2×4:\n")
        explanation = explain(SEED_W_CORRECTED, SEED_H, SEED_X, SEED_B, gate=args.gate)
        print(explanation)
        if args.picture:
            _picture(explanation, args.picture)
        return 0
    missing = [f"--{k}" for k, v in given.items() if v is None]
    if missing:
        raise UserError(f"give all of --W, --h, --x, --b (or none for the seed example); missing {', '.join(missing)}")
    values = {k: _json_argument(k, v) for k, v in given.items()}
    explanation = explain(values["W"], values["h"], values["x"], values["b"], gate=args.gate)
    print(explanation)
    if args.picture:
        _picture(explanation, args.picture)
    return 0


def cmd_codegen(args: argparse.Namespace) -> int:
    cell = _cell_from(args)
    source = generate_numpy(cell, dtype=args.dtype, fuse=args.fuse)
    if args.output == "-":
        sys.stdout.write(source)
    else:
        replaced = " (replacing the file that was there)" if Path(args.output).exists() else ""
        write_text(args.output, source)
        fused = ", element-wise statements fused into numba kernels" if args.fuse else ""
        print(f"wrote {args.output}{replaced}: NumPy forward and BPTT for {cell.describe()} in {args.dtype}{fused}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    print("\n".join(convert_file(args.input, args.output, args.src, args.dst, _cell_from(args))))
    return 0


def _add_cell_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cell", nargs="?", default="lstm",
                        help=f"a built-in cell ({', '.join(known_cells())}) or FILE.py:NAME, a cell in your own "
                             "file: NAME is a CellSpec or a function of no arguments returning one "
                             "(symlstm runs FILE.py, your own code, to find it)")
    parser.add_argument("--peephole", action="store_true", help="LSTM with peephole connections")
    parser.add_argument("--cifg", action="store_true", help="LSTM with coupled input and forget gates")
    parser.add_argument("--proj-size", type=int, default=None, metavar="P", help="LSTM with a projection to P")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symlstm", description="Derive, prove, print and compile the mathematics of LSTM cells.",
                     epilog="verify, derive and codegen also take FILE.py:NAME, a cell you wrote with "
                            "symlstm.CellBuilder in your own file (symlstm runs that file to read it). Verdicts: "
                            + "; ".join(f"{word} = {meaning}" for word, meaning in MEANINGS.items()) + ".")
    parser.add_argument("--version", action="version", version=f"symlstm {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    derive = commands.add_parser("derive", help="write the derivation document (.tex, .md) of a cell")
    _add_cell_arguments(derive)
    derive.add_argument("--out", default="out", help="output folder (default: out)")
    derive.add_argument("--no-pictures", action="store_true", help="skip the PDF/PNG/SVG pictures")
    derive.set_defaults(run=cmd_derive)

    verify = commands.add_parser("verify", help="check every claim about a cell")
    _add_cell_arguments(verify)
    verify.set_defaults(run=cmd_verify)

    about = "walk through σ(W·[h; x] + b) for concrete numbers; with none given, the seed question's example"
    explainer = commands.add_parser("explain", help=about, description=about)
    examples = {"W": "the weight, a list of rows, e.g. [[0, 1, 0, 1], [2, 3, 2, 3]]", "h": "e.g. [-1, 2]",
                "x": "e.g. [3, 0]", "b": "e.g. [1, -2]"}
    for name, example in examples.items():
        explainer.add_argument(f"--{name}", default=None, metavar="JSON", help=f"{name} as JSON: {example}")
    explainer.add_argument("--gate", default="f", choices=("i", "f", "g", "o"), help="gate i, f, g or o (default: f)")
    explainer.add_argument("--picture", default=None, metavar="FILE", help="also draw the shapes (.svg or .png)")
    explainer.set_defaults(run=cmd_explain)

    gen = commands.add_parser("codegen", help="write a NumPy module computing a cell's forward pass and BPTT")
    _add_cell_arguments(gen)
    gen.add_argument("-o", "--output", required=True, metavar="FILE.py", help="module to write ('-' for stdout)")
    gen.add_argument("--dtype", choices=("float32", "float64"), default="float64",
                     help="dtype of every array (default: float64)")
    gen.add_argument("--fuse", action="store_true",
                     help="run each step's element-wise statements as compiled kernels (needs numba)")
    gen.set_defaults(run=cmd_codegen)

    conv = commands.add_parser("convert", help="rewrite a cell's weights from one framework's layout in another's")
    conv.add_argument("--from", dest="src", required=True, choices=known_formats(), help="layout of IN")
    conv.add_argument("--to", dest="dst", required=True, choices=known_formats(), help="layout to write")
    conv.add_argument("input", metavar="IN", help=".npz file of the source tensors (no pickles)")
    conv.add_argument("output", metavar="OUT", help=".npz file to write")
    _add_cell_arguments(conv)
    conv.set_defaults(run=cmd_convert)
    return parser


#: The longest error message shown (a message quoting a huge argument is cut).
MAX_MESSAGE = 400


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that every ``finally`` (temporary files) runs."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _tolerant_output() -> None:
    """Let stdout and stderr print what they cannot encode (``→``, ``σ`` on an ASCII terminal) as escapes."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _message(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if not isinstance(error, (UserError, ValueError, OSError)):  # not a user error: say what kind it is
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    if isinstance(error, RecursionError):
        text = "the input is nested too deeply to be read"
    elif isinstance(error, MemoryError):
        text = "out of memory (the input is too large)"
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + f"… ({len(text)} characters)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1 for a claim not as expected, 2 for an error,
    130 for Ctrl-C, 143 for SIGTERM)."""
    _tolerant_output()
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: no handler
        pass
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except KeyboardInterrupt:
        _say("symlstm: interrupted (nothing was left half-written)")
        return 130
    except Terminated:
        _say("symlstm: terminated (nothing was left half-written)")
        return 143
    except SystemExit as exit_:  # --version, --help
        return exit_.code if isinstance(exit_.code, int) else 0
    except Exception as error:  # noqa: BLE001 - the command line shows no traceback, whatever failed
        _say(f"symlstm: error: {_message(error)}")
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
