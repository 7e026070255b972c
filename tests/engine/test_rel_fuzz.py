"""A few hundred fuzzed design files: every one loads (and checks, compiles, saves, reloads) or is
refused with the project's own error — no foreign exception (bench/reliability.py runs 10,000+)."""
from __future__ import annotations

from bench.fuzz_designs import fuzz_case, run_fuzz


def test_fuzzed_design_files_raise_only_our_own_errors() -> None:
    result = run_fuzz(300, seed0=14_000)
    assert result.cases == 300
    assert result.foreign_total == 0, "\n\n".join(result.examples.values())
    assert result.loaded > 20 and result.refused > 150  # the fuzzer reaches both sides


def test_the_fuzzer_is_reproducible() -> None:
    assert fuzz_case(7) == fuzz_case(7) and fuzz_case(7) != fuzz_case(8)
