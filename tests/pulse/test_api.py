"""The public pulse API: every name documented, the contract's calls present."""

from __future__ import annotations

import inspect

import clusterwatch.pulse as pulse


def test_public_names_are_documented() -> None:
    for name in pulse.__all__:
        obj = getattr(pulse, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__.strip()) > 40, name


def test_the_contract_calls_exist_with_their_parameters() -> None:
    assert list(inspect.signature(pulse.read_pulse).parameters)[:3] == ["members", "waves", "answers"]
    assert {"data", "wave", "k"} <= set(inspect.signature(pulse.wave_measures).parameters)
    assert {"data", "before", "after", "k"} <= set(inspect.signature(pulse.compare_waves).parameters)
    assert {"data", "wave", "previous", "k"} <= set(inspect.signature(pulse.early_warnings).parameters)
    assert {"data", "out", "cluster", "k"} <= set(inspect.signature(pulse.write_report).parameters)
    assert pulse.K_DEFAULT == 3
