"""The command line: outputs, exit codes, one-line errors."""

import subprocess
import sys

import pytest

from symlstm import cli
from symlstm.claims.concat import swapped_split


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_explain_without_arguments_runs_the_seed_example(capsys):
    status, out, err = run(capsys, "explain")
    assert status == 0 and err == ""
    assert "W_f is 2×2" in out and "2×4" in out
    assert "W_f·[h; x] + b_f = [3, 8]" in out


def test_explain_with_json_arguments(capsys):
    status, out, _ = run(capsys, "explain", "--W", "[[1, 2, 3]]", "--h", "[1]", "--x", "[1, 1]", "--b", "[-1]",
                         "--gate", "o")
    assert status == 0
    assert "W_o·[h; x] + b_o = [5]" in out


@pytest.mark.parametrize(("argv", "needle"), [
    (["explain", "--W", "[[1, 2]", "--h", "[1]", "--x", "[1]", "--b", "[0]"], "--W is not valid JSON"),
    (["explain", "--W", "[[1, 2]]"], "missing --h, --x, --b"),
    (["explain", "--W", "[[1, 2]]", "--h", "[1, 2]", "--x", "[1]", "--b", "[0]"], "W_f is 1×2"),
    (["explain", "--W", "[[1, 2]]", "--h", "[1]", "--x", "[\"__import__('os')\"]", "--b", "[0]"], "not a number"),
    (["verify", "transformer"], "unknown cell 'transformer'"),
    (["verify", "gru", "--cifg"], "cell 'gru' takes no cifg=True"),
    (["derive", "--proj-size", "0"], "proj_size must be a positive integer"),
    (["derive", "--bogus"], "unrecognized arguments: --bogus"),
    (["nothing"], "invalid choice"),
])
def test_user_errors_are_one_line_with_status_2(capsys, argv, needle):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert err.startswith("symlstm: error: ") and err.count("\n") == 1
    assert needle in err
    assert "Traceback" not in err


def test_verify_prints_a_line_per_claim_and_succeeds(capsys):
    status, out, _ = run(capsys, "verify")
    lines = out.strip().splitlines()
    assert status == 0
    assert any(line.startswith("ok   concat-split[hx]") and "proved" in line for line in lines)
    assert any("swapped-split" in line and "refuted (as expected)" in line for line in lines)
    good, total = lines[-1].split()[0].split("/")
    assert good == total and int(total) >= 15  # forward claims and the BPTT claims
    assert any(line.split()[:3] == ["seed-reading", "refuted", "(expected"] for line in lines)


def test_verify_fails_when_a_claim_does_not_hold(capsys, monkeypatch):
    wrong = swapped_split()
    wrong.expected = True  # claim the swapped split holds: verify must say no
    monkeypatch.setattr(cli, "claims_for", lambda cell: [wrong])
    status, out, _ = run(capsys, "verify")
    assert status == 1
    assert out.startswith("FAIL swapped-split")


@pytest.fixture
def forward_claims_only(monkeypatch):
    """derive's documents without the slower BPTT claims (verify runs them all above)."""
    from symlstm import derivation
    from symlstm.verification import forward_claims

    monkeypatch.setattr(derivation, "claims_for", forward_claims)


def test_derive_writes_tex_and_markdown(capsys, tmp_path, forward_claims_only):
    status, out, _ = run(capsys, "derive", "--out", str(tmp_path), "--no-pictures")
    assert status == 0
    tex = (tmp_path / "lstm.tex").read_text()
    md = (tmp_path / "lstm.md").read_text()
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert r"c_t &= f_t \odot c_{t-1} + i_t \odot g_t" in tex
    assert "$$" in md and "## Forward equations" in md
    assert f"wrote {tmp_path / 'lstm.tex'}" in out
    assert r"\delta a_{f,t} &= \delta f_t \odot f_t \odot \left(\mathbf{1} - f_t\right)" in tex
    assert not list(tmp_path.glob("*.png"))


def test_derive_draws_the_cell_when_graphviz_is_installed(capsys, tmp_path, forward_claims_only):
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    status, out, _ = run(capsys, "derive", "gru", "--out", str(tmp_path))
    assert status == 0
    assert (tmp_path / "gru-graph.svg").stat().st_size > 1000
    assert f"wrote {tmp_path / 'gru-graph.svg'}" in out


def test_explain_writes_the_shape_picture(capsys, tmp_path):
    status, out, _ = run(capsys, "explain", "--picture", str(tmp_path / "seed.svg"))
    assert status == 0
    assert (tmp_path / "seed.svg").read_text().lstrip().startswith("<svg")


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "symlstm", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("symlstm ")


def test_convert_round_trip_through_files(capsys, tmp_path):
    import numpy as np

    rng = np.random.default_rng(3)
    n, m = 3, 2
    keras = {"kernel": rng.normal(size=(m, 4 * n)), "recurrent_kernel": rng.normal(size=(n, 4 * n)),
             "bias": rng.normal(size=4 * n)}
    np.savez(tmp_path / "keras.npz", **keras)
    assert run(capsys, "convert", "--from", "keras", "--to", "pytorch", str(tmp_path / "keras.npz"),
               str(tmp_path / "torch.npz"))[0] == 0
    assert run(capsys, "convert", "--from", "pytorch", "--to", "keras", str(tmp_path / "torch.npz"),
               str(tmp_path / "back.npz"))[0] == 0
    with np.load(tmp_path / "back.npz", allow_pickle=False) as back:
        for name, value in keras.items():
            np.testing.assert_allclose(back[name], value, rtol=1e-15)


def test_convert_refuses_pickles_in_one_line(capsys, tmp_path):
    import numpy as np

    np.savez(tmp_path / "evil.npz", kernel=np.array([{"a": 1}], dtype=object))
    status, _, err = run(capsys, "convert", "--from", "keras", "--to", "pytorch", str(tmp_path / "evil.npz"),
                         str(tmp_path / "out.npz"))
    assert status == 2 and "pickled object array" in err and err.count("\n") == 1
    assert not (tmp_path / "out.npz").exists()
