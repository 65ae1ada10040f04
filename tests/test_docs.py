"""Docs that users rely on stay true."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_CONTRACT = ROOT.parent / "shared" / "CONTRACT.md"


def test_docs_contract_is_in_step_with_the_shared_contract():
    if not SHARED_CONTRACT.is_file():
        pytest.skip("no ../shared/CONTRACT.md beside this checkout to compare with")
    assert (ROOT / "docs" / "CONTRACT.md").read_text() == SHARED_CONTRACT.read_text(), (
        "docs/CONTRACT.md differs from ../shared/CONTRACT.md: copy it over and note the change in CHANGELOG.md"
    )


def test_readme_names_the_two_commands_and_every_cli_subcommand():
    readme = (ROOT / "README.md").read_text()
    for text in ("make run", "make test", "orderlens run", "orderlens generate", "orderlens demo",
                 "orderlens export differences", "docs/CONTRACT.md"):  # fmt: skip
        assert text in readme, text
