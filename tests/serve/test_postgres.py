"""The same app on a real PostgreSQL server: the migrated schema, the member flow, the security checks.

The server is a throw-away one (initdb into a temp folder, see ``postgres_server``); the tests skip, saying why,
where PostgreSQL is not installed. The flow and security tests of the SQLite suite run here again unchanged: this
module's ``db_url`` points them at PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from tests.serve.test_flow import (  # noqa: F401 - collected again, on PostgreSQL
    test_export_import_round_trip_in_the_pulse_layout,
    test_member_sees_only_own_answers_and_withdrawal_deletes_them,
    test_save_and_resume_replaces_without_duplicates,
    test_three_members_answer_and_the_dashboard_suppresses_below_k,
)
from tests.serve.test_security import (  # noqa: F401
    test_a_facilitator_of_cluster_a_cannot_reach_cluster_b,
    test_another_members_token_and_unknown_tokens_are_refused,
    test_forged_and_missing_csrf_tokens_are_refused,
    test_nothing_dyad_level_leaves_the_server,
    test_sql_metacharacters_and_html_in_every_field_are_stored_verbatim_and_escaped,
)

from clusterwatch.serve import db, make_engine, upgrade


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url


def test_migrations_build_the_schema_the_code_uses(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    assert engine.dialect.name == "postgresql"
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    inspector = sa.inspect(engine)
    for table in db.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    uniques = {u["name"] for u in inspector.get_unique_constraints("answers")}
    assert "uq_answers_one_per_item" in uniques
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar_one() == "0001"


def test_the_unique_index_refuses_a_duplicate_answer(postgres_url: str, app: Any, open_wave: dict[str, Any],
                                                    member: Any) -> None:
    m = member(open_wave["links"]["M1"])
    m.consent()
    m.rate("M2", works_with="1")
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        row = conn.execute(sa.select(db.answers).where(db.answers.c.item == "works_with")).one()._asdict()
    row.pop("id")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(db.answers.insert().values(**row))
