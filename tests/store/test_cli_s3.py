"""`bfd-locust history` and `report` against moto S3, in process (moto patches this interpreter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_bfd_locust import cli
from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.stores.s3 import S3Store
from tests.record_factory import make_record
from tests.report_factory import run_record
from tests.store.conftest import BUCKET, STORE_URI


def test_history_and_report_against_s3(
    aws: AwsClients, bucket: str, stats_table: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    store = S3Store.from_uri(STORE_URI, clients=aws)
    locations = [store.save(run_record(index, 10)) for index in range(3)]
    store.save(make_record(timestamp=5, run_id="foreign", hash="f" * 64))

    assert cli.main(["history", "--suite", "api", "--store", STORE_URI]) == 0
    out = capsys.readouterr().out
    assert [line.split()[1] for line in out.splitlines()[3:]] == ["run000", "run001", "run002"]
    assert f"in s3://{BUCKET}" in out.splitlines()[0]

    assert (
        cli.main(["report", locations[-1], "--baseline", locations[0], "--store", STORE_URI, "-o", "r.html"])
        == 0
    )
    page = (tmp_path / "r.html").read_text()
    assert "run002" in page and page.count('data-chart="history-') == 2

    assert cli.main(["report", f"s3://{BUCKET}/no/such.stats.json", "-o", "x.html"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"bfd-locust report: s3://{BUCKET}/no/such.stats.json: cannot read it: ")
    assert err.count("\n") == 1
