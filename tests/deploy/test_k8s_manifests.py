"""deploy/k8s/: every manifest is valid against a current Kubernetes schema (kubernetes-validate,
offline, strict: unknown fields fail), listed in the kustomization, and consistent with the
plugin: the workers take the locustfile from the master, on the port the master binds by default."""

from __future__ import annotations

import copy
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
    config = by_kind("ConfigMap")
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
    policy = by_kind("NetworkPolicy")
    worker_labels = by_kind("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == DEFAULT_MASTER_PORT
    assert policy["spec"]["podSelector"]["matchLabels"] == service["spec"]["selector"]
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    assert source["podSelector"]["matchLabels"].items() <= worker_labels.items()
    assert rule["ports"] == [{"protocol": "TCP", "port": DEFAULT_MASTER_PORT}]
