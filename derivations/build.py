"""Write every derivation chapter to derivations/out/, or check that the committed files are current.

    python derivations/build.py          # regenerate derivations/out/
    python derivations/build.py --check  # exit 1 naming each stale or missing file
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def chapters() -> list:
    sys.path[:0] = [str(HERE.parent), str(HERE)]  # this checkout's symlstm, then the chapter helpers
    found = []
    for script in sorted(HERE.glob("[0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.append(module.chapter())
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for chapter in chapters():
        outputs = {f"{chapter.stem}.md": chapter.markdown(), **chapter.files}
        for name, text in outputs.items():
            path = OUT / name
            if args.check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    stale.append(path.relative_to(HERE.parent))
            else:
                OUT.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print("stale derivation outputs (run `python derivations/build.py` and commit):", file=sys.stderr)
        for path in stale:
            print(f"  {path}", file=sys.stderr)
        return 1
    if args.check:
        print("derivations/out is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
