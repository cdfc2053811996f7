"""The documentation stays inside the repository: every file it points at exists in this clone.

A reader of a fresh clone has nothing else; a link to `../shared/...` or to a file that was renamed
is a dead end for them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENTS = [
    REPOSITORY / "README.md",
    *sorted((REPOSITORY / "docs").glob("*.md")),
    REPOSITORY / "bench" / "README.md",
]

# [text](target) links, and `path` mentions that look like a file of ours (a folder and an extension).
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_PATH = re.compile(
    r"`((?:\.\./|\./)?[\w.-]+(?:/[\w.-]+)+\.(?:md|py|txt|html|toml))`"
)


def _local_targets(document: Path) -> list[str]:
    text = document.read_text(encoding="utf-8")
    links = [
        target
        for target in MARKDOWN_LINK.findall(text)
        if not re.match(r"^[a-z]+:|^#", target)
    ]
    return [target.split("#", 1)[0] for target in links] + CODE_PATH.findall(text)


def test_the_architecture_document_exists_and_the_readme_links_to_it():
    assert (REPOSITORY / "docs" / "architecture.md").is_file()
    assert "](docs/architecture.md)" in (REPOSITORY / "README.md").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    "document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPOSITORY))
)
def test_every_file_a_document_points_at_is_in_the_repository(document):
    for target in _local_targets(document):
        if "<" in target or "*" in target:
            continue  # a pattern such as tests/<app>/test_<module>.py, not a file
        resolved = (document.parent / target).resolve()
        if not resolved.exists():
            resolved = (
                REPOSITORY / target
            ).resolve()  # `path` mentions are relative to the root
        assert resolved.is_relative_to(REPOSITORY), (
            f"{document.name} points outside the repository: {target}"
        )
        assert resolved.exists(), f"{document.name} points at a missing file: {target}"
