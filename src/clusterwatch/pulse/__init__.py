"""The facilitator's side: a cluster network's trust, value and health over survey waves.

The loop: :func:`read_pulse` (members, waves, long answers; :func:`read_wide` reshapes a wide export with a mapping
file) → :func:`wave_measures` per wave → :func:`compare_waves` between two waves → :func:`early_warnings` →
:func:`write_report` (offline HTML + CSVs). Storage in the DuckDB workspace: :mod:`clusterwatch.io.pulse_store`.

Privacy by default (:mod:`clusterwatch.pulse.privacy`): pseudonymous member ids, a member's trust and value shown
only when at least ``k`` (default 3) others rated it, no dyad-level trust in any output, :func:`withdraw` removes
a member's answers and the answers about them, and every result lists what it suppressed.

Structural measures need igraph (extra ``network``), as :mod:`clusterwatch.analysis.network` does.

The calls the web app (``clusterwatch.serve``) relies on, in the contract's layout:

- ``read_pulse(members, waves, answers) -> PulseData`` (frames or CSV/Excel paths; ``.rejected`` lists every
  unusable row with file, line, column, reason);
- ``wave_measures(data, wave, k=3) -> WaveMeasures``: ``.to_frame()`` one row of network figures, ``.members``
  (k-suppressed scores), ``.reliability``, ``.helix``, ``.suppressed``;
- ``compare_waves(data, before, after, k=3, replicates=999, permutations=999, rng=0) -> WaveChange``;
- ``early_warnings(data, wave, previous="auto", k=3) -> EarlyWarnings`` (``.alerts``);
- ``write_report(data, out, cluster="...", k=3) -> Path`` (``report.html`` and CSVs in ``out``).
"""

from clusterwatch.pulse.change import WaveChange, compare_waves
from clusterwatch.pulse.edgelist import PANELS, from_wave_edges, read_panel
from clusterwatch.pulse.measures import SCALES, WaveMeasures, cronbach_alpha, wave_measures
from clusterwatch.pulse.model import ITEMS, KINDS, TRUST_ITEMS, VALUE_ITEMS, PulseData
from clusterwatch.pulse.privacy import K_DEFAULT, suppress, withdraw
from clusterwatch.pulse.read import add_answers, members_from_candidates, read_pulse, read_wide
from clusterwatch.pulse.report import write_report
from clusterwatch.pulse.warnings import THRESHOLDS, EarlyWarnings, early_warnings

__all__ = [
    "ITEMS",
    "KINDS",
    "K_DEFAULT",
    "PANELS",
    "SCALES",
    "THRESHOLDS",
    "TRUST_ITEMS",
    "VALUE_ITEMS",
    "EarlyWarnings",
    "PulseData",
    "WaveChange",
    "WaveMeasures",
    "add_answers",
    "compare_waves",
    "cronbach_alpha",
    "early_warnings",
    "from_wave_edges",
    "members_from_candidates",
    "read_panel",
    "read_pulse",
    "read_wide",
    "suppress",
    "wave_measures",
    "withdraw",
    "write_report",
]
