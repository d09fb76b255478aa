"""The throw-away PostgreSQL cluster used by the postgres-marked tests works."""

import pytest
import sqlalchemy as sa

from tests.support import skip_or_fail
from tests.support.postgres import PostgresCluster, PostgresUnavailable

pytestmark = pytest.mark.postgres


def test_cluster_starts_serves_queries_and_stops():
    try:
        cluster = PostgresCluster()
    except PostgresUnavailable as exc:
        skip_or_fail(str(exc))
    cluster.start()
    try:
        data_dir = cluster.dir
        for url in (cluster.url, cluster.create_database("dxflow_probe")):
            engine = sa.create_engine(url)
            try:
                with engine.connect() as conn:
                    version = conn.execute(sa.text("select version()")).scalar_one()
            finally:
                engine.dispose()
            assert version.startswith("PostgreSQL ")
    finally:
        cluster.stop()
    assert not data_dir.exists()
