"""Issue 26 item 7: the user's reference in docs/ keeps up with the code.

Every rule id the code or a message cites is explained in docs/rules.md, and every column of
every file of the data contract (pipeline/core/data_contract.py) is described in
docs/inputs.md or docs/outputs.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.core import data_contract

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RULE_ID = re.compile(r"\bR[0-9]{1,3}\b")


def _cited_rule_ids() -> dict[str, str]:
    """Rule id -> the first file (under pipeline/ or sql/) that cites it."""
    cited: dict[str, str] = {}
    for folder, pattern in (("pipeline", "*.py"), ("sql", "*.sql")):
        for path in sorted((ROOT / folder).rglob(pattern)):
            for rule in RULE_ID.findall(path.read_text(encoding="utf-8")):
                cited.setdefault(rule, path.relative_to(ROOT).as_posix())
    return cited


def _documented_rule_ids() -> set[str]:
    """The ids docs/rules.md explains: each entry starts `- **R12 ...` (or a range `R26-R27`)."""
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    ids: set[str] = set()
    for first, last in re.findall(r"^- \*\*R([0-9]+)(?:-R([0-9]+))?\b", text, re.MULTILINE):
        ids.update(f"R{n}" for n in range(int(first), int(last or first) + 1))
    return ids


def _contract_files() -> list[data_contract.FileContract]:
    return [v for v in vars(data_contract).values() if isinstance(v, data_contract.FileContract)]


def test_issue26_docs_every_cited_rule_id_is_explained_in_docs_rules():
    cited = _cited_rule_ids()
    assert len(cited) > 30, "the rule ids cited by the code were not found"
    missing = {rule: where for rule, where in cited.items() if rule not in _documented_rule_ids()}
    assert not missing, f"rule ids cited by the code but not explained in docs/rules.md: {missing}"


def test_issue26_docs_every_data_contract_column_is_described():
    text = "\n".join(
        (DOCS / name).read_text(encoding="utf-8") for name in ("inputs.md", "outputs.md")
    )
    files = _contract_files()
    assert len(files) > 20, "the files of the data contract were not found"
    # a file by the start of its name (`cdrs/YYYY-MM/`, `itemised/{customer_id}.csv`), a
    # column by its exact name in backquotes
    missing = [
        f"{contract.folder}/{contract.name}: {column}"
        for contract in files
        for column in (contract.name.split("{")[0], *(f"{c}`" for c in contract.names))
        if f"`{column}" not in text
    ]
    assert not missing, (
        "files or columns of pipeline/core/data_contract.py not described in docs/inputs.md "
        f"or docs/outputs.md: {missing}"
    )


def test_issue26_docs_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("inputs.md", "outputs.md", "rules.md"):
        assert f"](docs/{name})" in readme, f"README.md does not link docs/{name}"
    assert "shared spec folder" not in readme
