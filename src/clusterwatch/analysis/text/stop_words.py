"""Stop-word lists of known sources, for ``extra_stop_words``: words that say what kind of text it is, not what a
firm does."""

from __future__ import annotations

#: Boilerplate of SBIR award abstracts, for ``extra_stop_words`` (words that say an abstract is a proposal, not what
#: it is about).
SBIR_STOP_WORDS: tuple[str, ...] = (
    "phase", "proposed", "propose", "proposal", "program", "project", "develop", "development", "developed",
    "high", "based", "new", "technology", "technologies", "research", "innovation", "commercial", "applications",
    "described", "awardee", "provided", "applicant", "abstract", "sbir", "feasibility", "results", "using", "use",
    "ii", "iii", "effort", "used", "low", "cost", "performance", "approach", "demonstrate", "provide", "potential",
    "improved", "broader", "impact", "impacts", "intellectual", "merit", "small",
)

def _norwegian_stop_words() -> tuple[str, ...]:
    from importlib.resources import files

    text = files("clusterwatch").joinpath("data", "text", "norwegian_stop_words.txt").read_text(encoding="utf-8")
    return tuple(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


#: Words of US DSBS capability statements that say who owns a firm or what it is certified as, not what it does
#: (without them "business / owned / llc" and "veteran / disabled" come out as activities).
DSBS_STOP_WORDS: tuple[str, ...] = (
    "owned", "owner", "veteran", "veterans", "disabled", "service", "woman", "women", "minority", "hubzone", "8a",
    "sdvosb", "vosb", "wosb", "edwosb", "sdb", "dbe", "mbe", "wbe", "llc", "inc", "certified", "certification",
    "small", "business", "company", "firm", "services", "provide", "provides", "providing", "customers",
)

#: Norwegian function words (the Snowball list, BSD licence; 176 words), for ``extra_stop_words`` with Norwegian
#: texts such as the Brønnøysund register's activity descriptions: without them labels are "er / en / et".
NORWEGIAN_STOP_WORDS: tuple[str, ...] = _norwegian_stop_words()
