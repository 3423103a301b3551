"""deploy/k8s/: every manifest is valid against a current Kubernetes schema (kubernetes-validate,
offline, strict: unknown fields fail), listed in the kustomization, and consistent with the
plugin: the workers take the locustfile from the master, on the port the master binds by default."""

from __future__ import annotations

import configparser
import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from packaging.version import Version

from pytest_bfd_locust.workers import DEFAULT_MASTER_PORT

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OLDEST_CURRENT_KUBERNETES = Version("1.33")


def manifests() -> dict[str, dict[str, Any]]:
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def by_kind(kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in manifests().values() if doc["kind"] == kind]
    return found


def config_map(name: str) -> dict[str, Any]:
    return named("ConfigMap", name)


def named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [
        doc for doc in manifests().values() if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    return found


def test_schema_version_is_current() -> None:
    assert Version(kubernetes_validate.latest_version()) >= OLDEST_CURRENT_KUBERNETES


@pytest.mark.parametrize("name", sorted(manifests()))
def test_manifest_is_valid_against_the_kubernetes_schema(name: str) -> None:
    kubernetes_validate.validate(manifests()[name], kubernetes_validate.latest_version(), strict=True)


def test_the_validation_rejects_a_broken_deployment() -> None:
    broken = copy.deepcopy(by_kind("Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] = ["1 cpu"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)
    unknown_field = copy.deepcopy(by_kind("Deployment"))
    unknown_field["spec"]["replica"] = 4
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown_field, kubernetes_validate.latest_version(), strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(manifests())


def test_workers_take_the_locustfile_from_a_configurable_master() -> None:
    config = config_map("bfd-locust-worker")
    deployment = by_kind("Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {"configMapRef": {"name": config["metadata"]["name"]}} in container["envFrom"]
    assert config["data"]["LOCUST_MODE_WORKER"] == "true"
    assert config["data"]["LOCUST_LOCUSTFILE"] == "-"
    assert config["data"]["LOCUST_MASTER_NODE_PORT"] == str(DEFAULT_MASTER_PORT)
    assert config["data"]["LOCUST_MASTER_NODE_HOST"] == by_kind("Service")["metadata"]["name"]
    image, _, tag = container["image"].rpartition(":")
    assert image == "locustio/locust" and Version(tag)  # pinned: master and workers must match


def test_workers_have_resource_requests_and_limits() -> None:
    resources = by_kind("Deployment")["spec"]["template"]["spec"]["containers"][0]["resources"]
    for bound in ("requests", "limits"):
        assert set(resources[bound]) == {"cpu", "memory"}


def test_only_workers_reach_the_master_port() -> None:
    service = by_kind("Service")
    policy = named("NetworkPolicy", "bfd-locust-master")
    worker_labels = by_kind("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == DEFAULT_MASTER_PORT
    assert policy["spec"]["podSelector"]["matchLabels"] == service["spec"]["selector"]
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    assert source["podSelector"]["matchLabels"].items() <= worker_labels.items()
    assert rule["ports"] == [{"protocol": "TCP", "port": DEFAULT_MASTER_PORT}]


# --- the master as a Job ---------------------------------------------------------------------------


def master_pod() -> dict[str, Any]:
    pod: dict[str, Any] = by_kind("Job")["spec"]["template"]
    return pod


def master_container() -> dict[str, Any]:
    (container,) = master_pod()["spec"]["containers"]
    return container


def mounts(container: dict[str, Any]) -> dict[str, str]:
    return {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_the_master_job_exits_with_pytests_code_and_runs_once() -> None:
    job = by_kind("Job")
    command = master_container()["command"]
    assert command[:3] == ["python", "-m", "pytest"]  # no shell between: the exit code is pytest's
    assert "args" not in master_container()
    assert master_pod()["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] == 0  # a failed verdict is not retried (that would load again)
    assert job["spec"]["activeDeadlineSeconds"] > 0


def test_the_master_pod_is_what_the_service_and_the_policy_select() -> None:
    labels = master_pod()["metadata"]["labels"]
    assert by_kind("Service")["spec"]["selector"].items() <= labels.items()
    policy = named("NetworkPolicy", "bfd-locust-master")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    command = master_container()["command"]
    catalog = yaml.safe_load(config_map("bfd-locust-suites")["data"]["suites.yaml"])
    workers = catalog["defaults"]["workers"]
    # The catalog's master listens on every interface at the Service's port, for the Deployment's workers.
    assert option(command, "--bfd-master-bind") == f"0.0.0.0:{DEFAULT_MASTER_PORT}"
    assert workers["master_bind"] == f"0.0.0.0:{DEFAULT_MASTER_PORT}"
    assert workers["expect"] == by_kind("Deployment")["spec"]["replicas"]
    assert (
        master_container()["ports"][0]["containerPort"]
        == by_kind("Service")["spec"]["ports"][0]["targetPort"]
    )


def test_master_and_workers_run_one_locust_version_and_the_packaged_plugin() -> None:
    worker_image = by_kind("Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    (install,) = master_pod()["spec"]["initContainers"]
    assert master_container()["image"] == install["image"] == worker_image
    locust_version = worker_image.rpartition(":")[2]
    assert f"locust=={locust_version}" in install["command"]
    setup = configparser.ConfigParser()
    setup.read(K8S.parents[1] / "setup.cfg")
    assert f"pytest-bfd-locust=={setup['metadata']['version']}" in install["command"]
    assert mounts(install)["/opt/bfd"] == mounts(master_container())["/opt/bfd"]
    assert {"name": "PYTHONPATH", "value": "/opt/bfd"} in master_container()["env"]


def test_suites_come_from_the_config_map_and_reports_go_to_the_volume() -> None:
    container = master_container()
    command = container["command"]
    volumes = {volume["name"]: volume for volume in master_pod()["spec"]["volumes"]}
    suites_volume = volumes[mounts(container)["/suites"]]
    assert suites_volume["configMap"]["name"] == "bfd-locust-suites"
    assert option(command, "--bfd-suite") == "/suites/suites.yaml"
    assert "suites.yaml" in config_map("bfd-locust-suites")["data"]
    reports_volume = volumes[mounts(container)["/reports"]]
    assert (
        reports_volume["persistentVolumeClaim"]["claimName"]
        == by_kind("PersistentVolumeClaim")["metadata"]["name"]
    )
    for written in (option(command, "--junitxml"), option(command, "--bfd-report")):
        assert written.startswith("/reports/")
    assert option(command, "--bfd-store").startswith("file:///reports/")
    assert option(command, "--bfd-artifacts").startswith("/reports/")
    assert container["workingDir"] == "/reports"
    assert option(command, "--rootdir") == "/suites"  # read-only: nothing may default under it


def test_the_jobs_pytest_command_collects_the_config_maps_suites(tmp_path: Path) -> None:
    """The Job's own arguments, with /suites and /reports moved into a temporary directory, given to
    this environment's pytest: the options exist and the ConfigMap's catalog and locustfile load."""
    suites, reports = tmp_path / "suites", tmp_path / "reports"
    suites.mkdir()
    reports.mkdir()
    for name, text in config_map("bfd-locust-suites")["data"].items():
        (suites / name).write_text(text)
    mount_points = re.compile(r"^(file://)?/(suites|reports)(?=/|$)")
    moved = [
        mount_points.sub(lambda m: (m.group(1) or "") + str(tmp_path / m.group(2)), arg)
        for arg in master_container()["command"][3:]
    ]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *moved, "--collect-only", "-q"],
        cwd=reports,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "suites.yaml::api-health"
    assert sorted(p.name for p in suites.iterdir()) == sorted(config_map("bfd-locust-suites")["data"])


# --- what checkov checks, kept by the manifests themselves (issue 19) -----------------------------


def test_every_object_lives_in_the_projects_namespace_not_default() -> None:
    namespace = by_kind("Namespace")["metadata"]["name"]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert namespace != "default" and kustomization["namespace"] == namespace
    for name, doc in manifests().items():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespace, name


@pytest.mark.parametrize("pod", ["worker", "master"])
def test_pods_run_as_a_high_uid_on_a_read_only_root(pod: str) -> None:
    spec = (by_kind("Deployment") if pod == "worker" else by_kind("Job"))["spec"]["template"]["spec"]
    context = spec["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] >= 10000 and context["runAsGroup"] >= 10000
    for container in spec.get("initContainers", []) + spec["containers"]:
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, container["name"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, container["name"]
        assert set(container["resources"]["limits"]) == {"cpu", "memory"}, container["name"]


def test_a_worker_is_probed_through_the_pid_its_loop_writes() -> None:
    (container,) = by_kind("Deployment")["spec"]["template"]["spec"]["containers"]
    loop = container["args"][0]
    pid_file = re.search(r'echo "\$worker" > (\S+)', loop)
    assert pid_file is not None, loop
    for probe in ("readinessProbe", "livenessProbe"):
        command = container[probe]["exec"]["command"]
        assert command[:2] == ["/bin/sh", "-c"] and pid_file.group(1) in command[2], probe
    assert "/tmp" in mounts(container)  # the pid file's folder is writable on a read-only root


def test_nothing_may_connect_to_a_worker() -> None:
    policy = named("NetworkPolicy", "bfd-locust-worker")
    worker_labels = by_kind("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= worker_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"] and policy["spec"]["ingress"] == []
