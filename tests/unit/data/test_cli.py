"""The `allstore data` commands, run through the real CLI entry point."""

from __future__ import annotations

from typer.testing import CliRunner

from allstore.cli import app
from allstore.data import synthetic

runner = CliRunner()


def test_generate_writes_the_documented_layout(tmp_path):
    result = runner.invoke(
        app,
        ["data", "generate", "--out", str(tmp_path), "--items", "50", "--interactions", "600", "--seed", "3"],
    )
    assert result.exit_code == 0, result.output
    assert "Generated 50 products" in result.output
    for name in (
        synthetic.PRODUCTS_FILE,
        synthetic.REVIEWS_FILE,
        synthetic.INTERACTIONS_FILE,
        synthetic.USERS_FILE,
    ):
        assert (tmp_path / name).is_file()
    assert any((tmp_path / synthetic.IMAGES_DIR).glob("*.svg"))


def test_generate_refuses_a_zero_size(tmp_path):
    result = runner.invoke(app, ["data", "generate", "--out", str(tmp_path), "--items", "0"])
    assert result.exit_code != 0
    assert not (tmp_path / synthetic.PRODUCTS_FILE).exists()
