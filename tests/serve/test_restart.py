"""Kill the server mid-wave (SIGKILL) and restart it: every acknowledged answer is still there, none twice.

A small version of ``bench/bench_serve_load.py`` (which prints the full figures for 200 members): 12 members
answering at once against ``clusterwatch serve`` in its own process.
"""

from __future__ import annotations

from pathlib import Path

from clusterwatch.serve import loadcheck


def test_a_killed_server_keeps_every_acknowledged_answer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wave.sqlite'}"
    links, keys = loadcheck.prepare(url, 12)
    plans = loadcheck.plan(sorted(links), alters=3, seed=7)
    server = loadcheck.ServerProcess(url, log=tmp_path / "server.log").start()
    try:
        first = loadcheck.answer_wave(server.port, links, keys, plans, stop_after=15, on_stop=server.kill)
    finally:
        server.kill()
    assert server.proc is not None and server.proc.returncode == -9
    assert len(first.acknowledged) >= 15
    after_crash = loadcheck.stored(url)  # raises on a duplicate
    assert loadcheck.missing_answers(first.acknowledged, after_crash) == []

    server = loadcheck.ServerProcess(url, log=tmp_path / "server.log").start()
    try:
        second = loadcheck.answer_wave(server.port, links, keys, plans)  # everyone resumes with their link
    finally:
        server.stop()
    assert second.failures == []
    final = loadcheck.stored(url)
    expected = {(r, alter, item): value for r, pages in plans.items() for alter, values in pages
                for item, value in loadcheck.expected_rows(values, alter).items()}
    assert final == expected
    assert len(final) == 12 * (3 * 11 + 3)
