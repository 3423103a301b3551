"""deploy/tofu/ parsed with python-hcl2 and cross-checked against deploy/cloudformation.yaml
(deploy/tofu_check.py): the same resources, names, environment variables, IAM statements role by
role, network rules, store settings and outputs, for each kind of stack; and the check fails when
one IAM action or one name differs. `tofu validate`/`plan` cannot run here (docs/lambda.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from deploy.cfn import TEMPLATE_PATH, TemplateValues, load_template
from deploy.hcl import TOFU_DIR, HclError, TofuModule, TofuValues
from deploy.tofu_check import (
    CORRESPONDENCE,
    PARAMETER_SETS,
    differences,
    snake_case,
    tofu_default,
    tofu_variables,
)
from tests.deploy.conftest import ACCOUNT, REGION, STACK_PARAMETERS, WITH_KMS_AND_VPC


def cross_check(template: dict[str, Any], module: TofuModule, parameters: dict[str, str]) -> list[str]:
    cfn = TemplateValues(template, parameters, region=REGION, account=ACCOUNT)
    assert cfn.broken_rules() == []
    tofu = TofuValues(module, tofu_variables(template, parameters), region=REGION, account=ACCOUNT)
    return differences(cfn, tofu)


@pytest.fixture(scope="module")
def module() -> TofuModule:
    return TofuModule.load()


@pytest.mark.parametrize("parameters", PARAMETER_SETS.values(), ids=PARAMETER_SETS.keys())
def test_the_module_is_the_template(
    template: dict[str, Any], module: TofuModule, parameters: dict[str, str]
) -> None:
    assert cross_check(template, module, parameters) == []


def test_every_resource_on_both_sides_is_compared(template: dict[str, Any], module: TofuModule) -> None:
    assert set(CORRESPONDENCE) == set(template["Resources"])
    values = TemplateValues(template, PARAMETER_SETS["another target port and more groups"])
    assert [logical_id for logical_id in CORRESPONDENCE if not values.created(logical_id)] == []
    assert {"Image", "Zip"} == {p.get("PackageType", "Zip") for p in PARAMETER_SETS.values()}
    assert {"true", "false"} == {p.get("CreateStatsStore", "true") for p in PARAMETER_SETS.values()}


def test_the_sets_compared_are_the_tests_stacks() -> None:
    assert PARAMETER_SETS["zip outside a VPC"] == STACK_PARAMETERS
    assert PARAMETER_SETS["in the VPC with the database and a key"] == WITH_KMS_AND_VPC


def test_variables_are_the_parameters_with_their_defaults(
    template: dict[str, Any], module: TofuModule
) -> None:
    parameters = template["Parameters"]
    assert set(module.variables) == {snake_case(name) for name in parameters}
    tofu = TofuValues(module, tofu_variables(template, STACK_PARAMETERS))
    for name, spec in parameters.items():
        variable = module.variables[snake_case(name)]
        assert ("Default" in spec) == ("default" in variable), name
        if "Default" in spec:
            assert tofu.value(variable["default"]) == tofu_default(template, name), name
        hcl_types = {"CommaDelimitedList": "${list(string)}", "Number": "number"}  # as python-hcl2 reads them
        expected_type = hcl_types.get(spec["Type"], "string")
        if name == "CreateStatsStore":
            expected_type = "bool"
        assert variable["type"] == expected_type, name


def test_the_seeds_names(template: dict[str, Any], module: TofuModule) -> None:
    tofu = TofuValues(module, tofu_variables(template, WITH_KMS_AND_VPC), region=REGION, account=ACCOUNT)
    assert tofu.attribute("aws_security_group.run_locust", "name") == "bfd-test-locust-run-locust-sg"
    assert tofu.attribute("aws_lambda_function.run_locust", "function_name") == "bfd-test-locust-run-locust"
    assert "aws_vpc_security_group_ingress_rule.allow_run_locust" in module.resources  # the seed's address
    assert tofu.attribute("aws_vpc_security_group_ingress_rule.allow_run_locust", "description") == (
        "Grants bfd-test-locust-run-locust Lambda access to the test database"
    )


def changed_module(tmp_path: Path, file_name: str, old: str, new: str) -> TofuModule:
    copy = tmp_path / "tofu"
    shutil.copytree(TOFU_DIR, copy)
    text = (copy / file_name).read_text()
    assert text.count(old) == 1, old
    (copy / file_name).write_text(text.replace(old, new))
    return TofuModule.load(copy)


def test_one_changed_iam_action_fails_the_cross_check(template: dict[str, Any], tmp_path: Path) -> None:
    module = changed_module(
        tmp_path,
        "partition.tf",
        '["glue:GetTable", "glue:CreatePartition"]',
        '["glue:GetTable", "glue:UpdatePartition"]',
    )
    [difference] = cross_check(template, module, STACK_PARAMETERS)
    assert difference.startswith("PartitionRole statement RegisterPartitions: CloudFormation")
    assert "glue:CreatePartition" in difference and "glue:UpdatePartition" in difference


def test_one_changed_resource_in_a_statement_fails_the_cross_check(
    template: dict[str, Any], tmp_path: Path
) -> None:
    module = changed_module(
        tmp_path, "run_locust.tf", '["${local.bucket_arn}/lambda-runs/*"]', '["${local.bucket_arn}/runs/*"]'
    )
    [difference] = cross_check(template, module, STACK_PARAMETERS)
    assert difference.startswith("RunLocustRole statement RunMarkers:")


def test_one_changed_resource_name_fails_the_cross_check(template: dict[str, Any], tmp_path: Path) -> None:
    module = changed_module(
        tmp_path,
        "network.tf",
        'name        = "${local.run_locust_name}-sg"',
        'name        = "${local.run_locust_name}-group"',
    )
    assert cross_check(template, module, STACK_PARAMETERS) == []  # outside a VPC there is no group
    assert cross_check(template, module, WITH_KMS_AND_VPC) == [
        "RunLocustSecurityGroup name: CloudFormation 'bfd-test-locust-run-locust-sg', "
        "OpenTofu 'bfd-test-locust-run-locust-group'"
    ]


def test_a_changed_template_fails_the_cross_check_too(module: TofuModule, tmp_path: Path) -> None:
    changed = tmp_path / "cloudformation.yaml"
    changed.write_text(
        TEMPLATE_PATH.read_text().replace(
            'RoleName: !Sub "bfd-${Environment}-locust-stats-partition-role"',
            'RoleName: !Sub "bfd-${Environment}-locust-partition-role"',
        )
    )
    found = cross_check(load_template(changed), module, STACK_PARAMETERS)
    assert "PartitionRole name: CloudFormation 'bfd-test-locust-partition-role', " in found[0]
    assert any(line.startswith("PartitionFunction Role:") for line in found)  # and the role's ARN


def test_a_resource_on_one_side_only_is_named(template: dict[str, Any], tmp_path: Path) -> None:
    module = changed_module(
        tmp_path,
        "outputs.tf",
        "# The template's Outputs, snake_case.\n",
        "# The template's Outputs, snake_case.\n"
        'resource "aws_sqs_queue" "dead_letters" {\n  name = "x"\n}\n',
    )
    assert cross_check(template, module, STACK_PARAMETERS) == [
        "OpenTofu resource aws_sqs_queue.dead_letters has no counterpart in the template (CORRESPONDENCE)"
    ]


def test_an_expression_the_reader_does_not_know_is_named(template: dict[str, Any], tmp_path: Path) -> None:
    module = changed_module(
        tmp_path,
        "run_locust.tf",
        "retention_in_days = var.log_retention_days",
        "retention_in_days = max(var.log_retention_days, 7)",
    )
    with pytest.raises(HclError, match=r"function max\(\) is not evaluated here"):
        cross_check(template, module, STACK_PARAMETERS)
