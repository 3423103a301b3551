"""A warm Lambda: the handler called N times (default 30) in one process against a tiny local suite.

Prints, after each call, the result, resident memory (VmRSS from /proc/self/status) and the number
of open file descriptors; both must stay flat (a leak grows with every warm invocation until the
Lambda runs out of memory or descriptors). AWS is moto (SSM secrets), the target is the demo server.

    .venv/bin/python bench/lambda_warm.py [--calls 30] [--runtime 1s]

Exits 1 when a call does not answer `success` or when RSS / fds grow by more than the tolerances
between the first third and the last call (the first calls warm caches and import modules).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `examples` from a checkout

from examples.demo_target import start_server  # noqa: E402
from lambda_entry import handler  # noqa: E402
from lambda_entry.secrets import parameter_names  # noqa: E402
from pytest_bfd_locust.aws_clients import AwsClients  # noqa: E402
from tests.locustfiles import one_request_locustfile  # noqa: E402

LOCUSTFILE = one_request_locustfile("/v2/fhir/Patient?_id=1", wait=0.05)
RSS_TOLERANCE_KB = 20_000
FD_TOLERANCE = 2


class Context:
    """The Lambda context's shape."""

    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--runtime", default="1s", help="spawned_runtime of each run")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bfd-lambda-bench-"))
    (work / "task" / "app").mkdir(parents=True)
    (work / "task" / "app" / "api.py").write_text(LOCUSTFILE)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        BFD_ENVIRONMENT="bench",
        READER_ENDPOINT="reader.invalid",
        LAMBDA_TASK_ROOT=str(work / "task"),
        BFD_LAMBDA_TMP=str(work / "tmp"),
    )
    samples: list[tuple[int, int]] = []
    failures = 0
    with mock_aws(), start_server() as server:
        clients = AwsClients.create("us-east-1")
        for name in parameter_names("bench").values():
            clients.ssm.put_parameter(Name=name, Value=f"value-of-{name}", Type="SecureString")
        event = {"suite": "api.py", "host": server.url, "users": 1, "spawn_rate": 1,
                 "spawned_runtime": options.runtime, "only_summary": True}  # fmt: skip
        for call in range(1, options.calls + 1):
            started = time.monotonic()
            response = handler(event, Context(), clients=clients)
            samples.append((rss_kb(), open_fds()))
            failures += response["result"] != "success"
            elapsed = time.monotonic() - started
            print(
                f"[lambda-warm] call {call:3d}  {response['result']:7s}  {elapsed:5.1f} s  "
                f"rss {samples[-1][0]:7d} kB  fds {samples[-1][1]:4d}",
                file=sys.stderr,
                flush=True,
            )
    baseline = samples[len(samples) // 3]
    rss_growth, fd_growth = samples[-1][0] - baseline[0], samples[-1][1] - baseline[1]
    print(
        f"[lambda-warm] {options.calls} calls, {failures} not success; from call {len(samples) // 3 + 1} "
        f"to the last: rss {rss_growth:+d} kB, fds {fd_growth:+d}",
        file=sys.stderr,
    )
    return 1 if failures or rss_growth > RSS_TOLERANCE_KB or fd_growth > FD_TOLERANCE else 0


if __name__ == "__main__":
    sys.exit(main())
