"""The facilitator's side: a cluster network's trust, value and health over survey waves.

The loop: :func:`read_pulse` (members, waves, long answers; :func:`read_wide` reshapes a wide export with a mapping
file) → :func:`wave_measures` per wave → :func:`compare_waves` between two waves → :func:`early_warnings` →
:func:`write_report` (offline HTML + CSVs). Storage in the DuckDB workspace: :mod:`clusterwatch.io.pulse_store`.

Privacy by default (:mod:`clusterwatch.pulse.privacy`): pseudonymous member ids, a member's trust and value shown
only when at least ``k`` (default 3) others rated it, no dyad-level trust in any output, :func:`withdraw` removes
a member's answers and the answers about them, and every result lists what it suppressed.

Structural measures need igraph (extra ``network``), as :mod:`clusterwatch.analysis.network` does.
"""

from clusterwatch.pulse.measures import SCALES, WaveMeasures, cronbach_alpha, wave_measures
from clusterwatch.pulse.model import (
    ITEMS,
    KINDS,
    TRUST_ITEMS,
    VALUE_ITEMS,
    PulseData,
    add_answers,
    members_from_candidates,
    read_pulse,
    read_wide,
    withdraw,
)
from clusterwatch.pulse.privacy import K_DEFAULT, suppress

__all__ = [
    "ITEMS",
    "KINDS",
    "K_DEFAULT",
    "SCALES",
    "TRUST_ITEMS",
    "VALUE_ITEMS",
    "PulseData",
    "WaveMeasures",
    "add_answers",
    "cronbach_alpha",
    "members_from_candidates",
    "read_pulse",
    "read_wide",
    "suppress",
    "wave_measures",
    "withdraw",
]
