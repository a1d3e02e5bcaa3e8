"""The benchmark summary writer and the coverage gate: small, real checks of both tools."""

from __future__ import annotations

from pathlib import Path

from benchmarks.__main__ import BEGIN, END, summary, table, write_results

from tests.scripts import load_script

gate = load_script("coverage_gate")

ROWS = [
    {"name": "fast", "ours_s": 0.5, "baseline_s": 0.25, "ratio": 2.0, "target": "< 2 s",
     "met": True},
    {"name": "count", "ours_s": 16, "baseline_s": 4016, "ratio": 0.004, "target": "<= 25",
     "met": False, "unit": "requests"},
]  # fmt: skip


def test_table_shows_units_and_verdicts() -> None:
    lines = list(table(ROWS))
    assert lines[2] == "| fast | 0.500 s | 0.250 s | 2× | < 2 s | met |"
    assert lines[3] == "| count | 16 requests | 4,016 requests | 0.004× | <= 25 | **not met** |"


def test_write_replaces_only_the_summary_block(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\nprose by hand\n\n## Suite\nwhy\n")
    write_results(summary(ROWS, quick=True, seconds=90), results)
    first = results.read_text()
    assert first.startswith(f"# Benchmark results\n\n{BEGIN}\n**Last run** (`--quick`")
    assert "1.5 minutes wall time" in first
    assert "1 of 2 targets met; the 1 missed are explained" in first
    assert first.endswith(f"{END}\n\nprose by hand\n\n## Suite\nwhy\n")
    write_results(summary(ROWS[:1], quick=False, seconds=60), results)
    second = results.read_text()
    assert second.count(BEGIN) == second.count(END) == 1
    assert "1 of 1 targets met." in second
    assert second.endswith(f"{END}\n\nprose by hand\n\n## Suite\nwhy\n")


def _file(statements: int, covered: int, missing: list[int]) -> dict:
    return {
        "summary": {"num_statements": statements, "covered_lines": covered},
        "missing_lines": missing,
    }


def test_gate_passes_packages_at_the_bar_and_lists_files_under_it() -> None:
    files = {
        "app/quarterdeck/core/a.py": _file(100, 100, []),
        "app/quarterdeck/core/b.py": _file(10, 8, [3, 4]),
        "app/quarterdeck/services/c.py": _file(10, 9, [7]),
        "app/quarterdeck/sources/d.py": _file(10, 0, list(range(1, 11))),  # not gated
    }
    lines, ok = gate.report(files, 90)
    assert ok
    assert lines[0].startswith("quarterdeck/core/")
    assert "98.2 %  ok" in lines[0]
    assert lines[1] == "    app/quarterdeck/core/b.py: 80.0 %, missing 3-4"
    assert "90.0 %  ok" in lines[2]


def test_gate_fails_a_package_under_the_bar() -> None:
    files = {"app/quarterdeck/services/p.py": _file(50, 40, [1, 2, 3, 9, 20, 21])}
    lines, ok = gate.report(files, 90)
    assert not ok
    assert "80.0 %  UNDER 90 %" in lines[1]
    assert lines[2] == "    app/quarterdeck/services/p.py: 80.0 %, missing 1-3, 9, 20-21"
