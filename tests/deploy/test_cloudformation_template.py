"""deploy/cloudformation.yaml read as CloudFormation would evaluate it: cfn-lint, the seed's names,
and what moto's CloudFormation does not create (bucket settings beyond encryption, the bucket
policy, the Athena workgroup, the Glue database and table), checked against the code that uses
them: the S3 store's key layout and Athena query, the record's JSON, the handler's environment.

The stack deployed into moto is tests/deploy/test_cloudformation_stack.py.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deploy.cfn import TEMPLATE_PATH
from deploy.package import PLATFORMS, RUNTIME_GLIBC
from pytest_bfd_locust.record import ErrorCount
from pytest_bfd_locust.stores.s3 import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    STATS_SUFFIX,
    S3StoreConfig,
    parse_stats_key,
)
from pytest_bfd_locust.stores.s3.layout import PARTITION_KEY
from tests.deploy.conftest import (
    AS_IMAGE,
    DATABASE_SECURITY_GROUP_ID,
    IMAGE_URI,
    KMS_KEY_ARN,
    STACK_PARAMETERS,
    VPC_ID,
    WITH_KMS_AND_VPC,
    template_values,
)
from tests.deploy.hive_types import mismatches, parse_type
from tests.record_factory import make_record

STORE_RESOURCES = ("StatsBucket", "StatsBucketPolicy", "StatsWorkGroup", "StatsDatabase", "StatsTable")
NETWORK_RESOURCES = (
    "RunLocustSecurityGroup",
    "RunLocustTargetEgress",
    "RunLocustDatabaseEgress",
    "DatabaseIngressFromRunLocust",
)
"""Created only in a VPC (VpcId); the rules, only with the target's port or the database's group."""


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    # The console script installed beside this interpreter (the test extra brings cfn-lint).
    command = [str(Path(sys.executable).with_name("cfn-lint")), str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def test_cfn_lint_passes() -> None:
    result = cfn_lint(TEMPLATE_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_would_catch_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(TEMPLATE_PATH.read_text().replace("SelectedEngineVersion:", "SelectedEngineVersio:"))
    result = cfn_lint(broken)
    assert result.returncode != 0 and "SelectedEngineVersio" in result.stdout


def test_names_are_the_seeds(template: dict[str, Any]) -> None:
    values = template_values(template, STACK_PARAMETERS)
    unnamed = ("StatsBucketPolicy", "PartitionFunctionPermission", *NETWORK_RESOURCES[1:])
    names = {logical_id: values.physical_name(logical_id) for logical_id in values.resources
             if logical_id not in unnamed}  # fmt: skip
    assert names == {
        "RunLocustSecurityGroup": "bfd-test-locust-run-locust-sg",
        "StatsBucket": "bfd-test-locust-stats",
        "StatsWorkGroup": "bfd-test-locust-stats",
        "StatsDatabase": "bfd_test_locust_stats",
        "StatsTable": "data",
        "RunLocustLogGroup": "/aws/lambda/bfd-test-locust-run-locust",
        "RunLocustRole": "bfd-test-locust-run-locust-role",
        "RunLocustFunction": "bfd-test-locust-run-locust",
        "PartitionLogGroup": "/aws/lambda/bfd-test-locust-stats-partition",
        "PartitionRole": "bfd-test-locust-stats-partition-role",
        "PartitionFunction": "bfd-test-locust-stats-partition",
    }


# --- the bucket -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (STACK_PARAMETERS, {"SSEAlgorithm": "AES256"}),
        (WITH_KMS_AND_VPC, {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_KEY_ARN}),
    ],
)
def test_bucket_encrypted(
    template: dict[str, Any], parameters: dict[str, str], expected: dict[str, str]
) -> None:
    bucket = template_values(template, parameters).properties("StatsBucket")
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == expected
    assert rule.get("BucketKeyEnabled", False) is ("KMSMasterKeyID" in expected)


def test_bucket_private_versioned_and_kept(template: dict[str, Any]) -> None:
    bucket = template_values(template, STACK_PARAMETERS).properties("StatsBucket")
    blocks = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(blocks, True)
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    for logical_id in ("StatsBucket", "StatsDatabase", "StatsTable"):
        resource = template["Resources"][logical_id]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain"), (
            logical_id
        )


def test_bucket_policy_refuses_plain_http(template: dict[str, Any]) -> None:
    policy = template_values(template, STACK_PARAMETERS).properties("StatsBucketPolicy")
    assert policy["Bucket"] == "bfd-test-locust-stats"
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert statement["Resource"] == [
        "arn:aws:s3:::bfd-test-locust-stats",
        "arn:aws:s3:::bfd-test-locust-stats/*",
    ]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_query_results_expire_where_the_workgroup_writes_them(template: dict[str, Any]) -> None:
    values = template_values(template, {**STACK_PARAMETERS, "QueryResultsRetentionDays": "7"})
    rules = {rule["Id"]: rule for rule in values.properties("StatsBucket")["LifecycleConfiguration"]["Rules"]}
    results = rules["expire-athena-query-results"]
    location = values.properties("StatsWorkGroup")["WorkGroupConfiguration"]["ResultConfiguration"][
        "OutputLocation"
    ]
    assert (
        location
        == f"s3://bfd-test-locust-stats/{results['Prefix']}"
        == "s3://bfd-test-locust-stats/query_results/"
    )
    assert (results["Status"], results["ExpirationInDays"]) == ("Enabled", "7")
    # No rule expires current objects anywhere else: records are the history.
    assert [rule for rule in rules.values() if "ExpirationInDays" in rule] == [results]


def test_notification_covers_every_record_the_store_writes(template: dict[str, Any]) -> None:
    values = template_values(template, STACK_PARAMETERS)
    [notification] = values.properties("StatsBucket")["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Function"] == values.get_att("PartitionFunction", "Arn")
    rules = {rule["Name"]: rule["Value"] for rule in notification["Filter"]["S3Key"]["Rules"]}
    config = S3StoreConfig("bfd-test-locust-stats", "bfd_test_locust_stats", "data", "bfd-test-locust-stats")
    assert rules == {"prefix": config.table_prefix, "suffix": STATS_SUFFIX}
    key = config.partition_prefix("f" * 64) + f"1714550000-3f2a9c1e{STATS_SUFFIX}"
    assert key.startswith(rules["prefix"]) and key.endswith(rules["suffix"])
    assert parse_stats_key(key) is not None  # what the partition function then registers


def test_no_circular_dependency_between_bucket_permission_and_function(template: dict[str, Any]) -> None:
    values = template_values(template, STACK_PARAMETERS)
    assert template["Resources"]["StatsBucket"]["DependsOn"] == "PartitionFunctionPermission"
    permission = values.properties("PartitionFunctionPermission")
    assert permission == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": values.get_att("PartitionFunction", "Arn"),
        "Principal": "s3.amazonaws.com",
        "SourceAccount": "123456789012",
        "SourceArn": "arn:aws:s3:::bfd-test-locust-stats",
    }
    # The permission names the bucket by its ARN, never by a reference to the bucket resource.
    text = json.dumps(template["Resources"]["PartitionFunctionPermission"])
    assert '"Ref": "StatsBucket"' not in text and '["StatsBucket"' not in text
    assert re.search(r"\$\{StatsBucket[.}]", text) is None and "${StatsBucketName}" in text


# --- Athena and Glue --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "encryption"),
    [
        (STACK_PARAMETERS, {"EncryptionOption": "SSE_S3"}),
        (WITH_KMS_AND_VPC, {"EncryptionOption": "SSE_KMS", "KmsKey": KMS_KEY_ARN}),
    ],
)
def test_workgroup_engine_3_with_an_enforced_result_location(
    template: dict[str, Any], parameters: dict[str, str], encryption: dict[str, str]
) -> None:
    workgroup = template_values(template, parameters).properties("StatsWorkGroup")
    assert workgroup["Name"] == "bfd-test-locust-stats" and workgroup["State"] == "ENABLED"
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert configuration["ResultConfiguration"]["EncryptionConfiguration"] == encryption


def table_input(template: dict[str, Any]) -> dict[str, Any]:
    table = template_values(template, STACK_PARAMETERS).properties("StatsTable")
    assert table["DatabaseName"] == "bfd_test_locust_stats" and table["CatalogId"] == "123456789012"
    result: dict[str, Any] = table["TableInput"]
    return result


def test_table_columns_are_what_the_store_selects(template: dict[str, Any]) -> None:
    table = table_input(template)
    columns = [column["Name"] for column in table["StorageDescriptor"]["Columns"]]
    assert columns == [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]
    assert table["PartitionKeys"] == [{"Name": PARTITION_KEY, "Type": "string"}]
    descriptor = table["StorageDescriptor"]
    config = S3StoreConfig("bfd-test-locust-stats", "bfd_test_locust_stats", "data", "bfd-test-locust-stats")
    assert descriptor["Location"] == f"s3://bfd-test-locust-stats/{config.table_prefix}"
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert descriptor["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert sorted(descriptor["SerdeInfo"]["Parameters"]["paths"].split(",")) == sorted(columns)
    assert table["TableType"] == "EXTERNAL_TABLE"


def full_record_json() -> dict[str, Any]:
    """A record with every optional key the store may write (histograms, errors, run id, ...)."""
    record = make_record(
        run_id="3f2a9c1e", histograms={("/v2/fhir/Patient", "GET"): {40: 3, 110: 90, 2400: 7}}
    )
    record = replace(
        record,
        suite="v2/regression_suite.py::regression_suite",
        host="https://test.bfd.example",
        errors=(ErrorCount("/v2/fhir/Patient", "GET", "HTTPError('500 Server Error')", 4),),
        inconclusive="the load generator used 97 % CPU for 14 s of 30",
    )
    data: dict[str, Any] = json.loads(record.to_text())
    assert set(data) == {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS}  # every column is exercised
    return data


def test_every_field_of_a_record_has_its_column_type(template: dict[str, Any]) -> None:
    record = full_record_json()
    problems = [
        problem
        for column in table_input(template)["StorageDescriptor"]["Columns"]
        for problem in mismatches(record[column["Name"]], parse_type(column["Type"]), column["Name"])
    ]
    assert problems == []


def test_the_type_check_names_a_column_that_does_not_fit() -> None:
    record = full_record_json()
    metadata = parse_type("struct<timestamp:int,tags:array<string>,environment:bigint,extra:string>")
    assert mismatches(record["metadata"], metadata, "metadata") == [
        "metadata.stats_reset_after_spawn: in the record, not in the table",
        "metadata.num_total_users: in the record, not in the table",
        "metadata.num_users_per_second: in the record, not in the table",
        "metadata.requested_runtime: in the record, not in the table",
        "metadata.total_runtime: in the record, not in the table",
        "metadata.user_classes: in the record, not in the table",
        "metadata.hash: in the record, not in the table",
        "metadata.compare_result: in the record, not in the table",
        "metadata.validation_result: in the record, not in the table",
        "metadata.extra: in the table, not in the record",
        "metadata.environment: bigint, but the record has 'test'",
    ]


# --- the functions ----------------------------------------------------------------------------------


def test_handlers_exist(template: dict[str, Any]) -> None:
    values = template_values(template, STACK_PARAMETERS)
    for logical_id, expected in (
        ("RunLocustFunction", "handler"),
        ("PartitionFunction", "partition_handler"),
    ):
        module_name, _, attribute = values.properties(logical_id)["Handler"].rpartition(".")
        assert attribute == expected
        assert callable(getattr(importlib.import_module(module_name), attribute))


def test_runtime_and_architecture_choices_match_the_package_command(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert parameters["Runtime"]["AllowedValues"] == [f"python{version}" for version in sorted(RUNTIME_GLIBC)]
    arm = {"aarch64": "arm64"}
    assert sorted(parameters["Architecture"]["AllowedValues"]) == sorted(
        arm.get(machine, machine) for machine in PLATFORMS.values()
    )


def test_run_locust_environment_is_the_seeds(template: dict[str, Any]) -> None:
    function = template_values(template, STACK_PARAMETERS).properties("RunLocustFunction")
    assert function["Environment"]["Variables"] == {
        "BFD_ENVIRONMENT": "test",
        "READER_ENDPOINT": "reader.db.example",
        "STATS_BUCKET_ID": "bfd-test-locust-stats",
        "STATS_ATHENA_DATABASE": "bfd_test_locust_stats",
        "STATS_ATHENA_TABLE": "data",
        "STATS_ATHENA_WORKGROUP": "bfd-test-locust-stats",
        "AWS_CURRENT_REGION": "us-east-1",
    }
    documented = Path(__file__).parents[2].joinpath("docs", "lambda.md").read_text()
    assert all(f"`{name}`" in documented for name in function["Environment"]["Variables"])
    assert function["Handler"] == "lambda_entry.handler" and function["Timeout"] == "900"
    assert "VpcConfig" not in function  # no subnets given: outside any VPC


def test_vpc_subnets_and_security_groups_from_parameters(template: dict[str, Any]) -> None:
    values = template_values(template, WITH_KMS_AND_VPC)
    assert values.properties("RunLocustFunction")["VpcConfig"] == {
        "SubnetIds": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
        "SecurityGroupIds": ["<RunLocustSecurityGroup>"],  # the group the stack creates
    }
    more = template_values(template, {**WITH_KMS_AND_VPC, "SecurityGroupIds": "sg-0123abcd,sg-4567ef01"})
    assert more.properties("RunLocustFunction")["VpcConfig"]["SecurityGroupIds"] == [
        "<RunLocustSecurityGroup>", "sg-0123abcd", "sg-4567ef01",
    ]  # fmt: skip
    vpc_access = ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]
    assert values.properties("RunLocustRole")["ManagedPolicyArns"] == vpc_access
    # The only managed policy anywhere, and only in a VPC: everything else is the inline policies.
    assert "ManagedPolicyArns" not in values.properties("PartitionRole")
    assert "ManagedPolicyArns" not in template_values(template, STACK_PARAMETERS).properties("RunLocustRole")


def test_existing_store_is_used_not_created(template: dict[str, Any]) -> None:
    values = template_values(template, {**STACK_PARAMETERS, "CreateStatsStore": "false"})
    assert [logical_id for logical_id in STORE_RESOURCES if values.created(logical_id)] == []
    assert all(
        values.created(logical_id)
        for logical_id in values.resources
        if logical_id not in (*STORE_RESOURCES, *NETWORK_RESOURCES)
    )
    variables = values.properties("RunLocustFunction")["Environment"]["Variables"]
    assert variables["STATS_BUCKET_ID"] == variables["STATS_ATHENA_WORKGROUP"] == "bfd-test-locust-stats"
    created = template_values(template, STACK_PARAMETERS)
    assert all(
        created.created(logical_id) for logical_id in created.resources if logical_id not in NETWORK_RESOURCES
    )


# --- the network: the seed's security group and the database's ingress rule -------------------------


@pytest.mark.parametrize(
    ("parameters", "created"),
    [
        (STACK_PARAMETERS, []),  # outside any VPC: neither group nor rule
        ({**STACK_PARAMETERS, "VpcId": VPC_ID, "SubnetIds": "subnet-0a1b2c3d"}, ["RunLocustSecurityGroup"]),
        (
            WITH_KMS_AND_VPC,
            ["RunLocustSecurityGroup", "RunLocustDatabaseEgress", "DatabaseIngressFromRunLocust"],
        ),
        ({**WITH_KMS_AND_VPC, "TargetPort": "8443"}, list(NETWORK_RESOURCES)),
    ],
)
def test_network_resources_only_where_a_parameter_asks(
    template: dict[str, Any], parameters: dict[str, str], created: list[str]
) -> None:
    values = template_values(template, parameters)
    assert [logical_id for logical_id in NETWORK_RESOURCES if values.created(logical_id)] == created


def test_egress_to_https_the_target_and_the_database_only(template: dict[str, Any]) -> None:
    values = template_values(
        template, {**WITH_KMS_AND_VPC, "TargetPort": "8443", "EgressCidr": "10.8.0.0/16"}
    )
    group = values.properties("RunLocustSecurityGroup")
    assert group["VpcId"] == VPC_ID and group["GroupName"] == "bfd-test-locust-run-locust-sg"
    # Inline egress: CloudFormation then drops the allow-all rule a new group starts with.
    assert group["SecurityGroupEgress"] == [
        {"Description": "HTTPS to the target and to S3, Glue, Athena and SSM", "IpProtocol": "tcp",
         "FromPort": 443, "ToPort": 443, "CidrIp": "10.8.0.0/16"},
    ]  # fmt: skip
    target = values.properties("RunLocustTargetEgress")
    assert (target["GroupId"], target["FromPort"], target["ToPort"], target["CidrIp"]) == (
        "<RunLocustSecurityGroup>", "8443", "8443", "10.8.0.0/16",
    )  # fmt: skip
    database = values.properties("RunLocustDatabaseEgress")
    assert database["DestinationSecurityGroupId"] == DATABASE_SECURITY_GROUP_ID
    assert (database["FromPort"], database["ToPort"], database["IpProtocol"]) == ("5432", "5432", "tcp")


def test_database_ingress_is_the_seeds_rule(template: dict[str, Any]) -> None:
    ingress = template_values(template, WITH_KMS_AND_VPC).properties("DatabaseIngressFromRunLocust")
    assert ingress == {
        "GroupId": DATABASE_SECURITY_GROUP_ID,
        "Description": "Grants bfd-test-locust-run-locust Lambda access to the test database",
        "IpProtocol": "tcp",
        "FromPort": "5432",
        "ToPort": "5432",
        "SourceSecurityGroupId": "<RunLocustSecurityGroup>",
    }


# --- zip or image, and the rules CloudFormation checks before it creates anything --------------------


def test_image_variant_has_no_handler_or_runtime_and_one_image_for_both(template: dict[str, Any]) -> None:
    values = template_values(template, AS_IMAGE)
    run, partition = values.properties("RunLocustFunction"), values.properties("PartitionFunction")
    for function in (run, partition):
        assert function["PackageType"] == "Image" and function["Code"] == {"ImageUri": IMAGE_URI}
        assert "Handler" not in function and "Runtime" not in function
    assert "ImageConfig" not in run  # the image's CMD: lambda_entry.handler
    assert partition["ImageConfig"] == {"Command": ["lambda_entry.partition_handler"]}
    zipped = template_values(template, STACK_PARAMETERS).properties("PartitionFunction")
    assert zipped["PackageType"] == "Zip" and "ImageConfig" not in zipped
    assert zipped["Code"] == {"S3Bucket": "bfd-test-artifacts", "S3Key": "run-locust.zip"}


@pytest.mark.parametrize(
    ("parameters", "broken"),
    [
        (STACK_PARAMETERS, []),
        (WITH_KMS_AND_VPC, []),
        (AS_IMAGE, []),
        ({**AS_IMAGE, "ImageUri": ""}, ["ImageNeedsTheImage"]),
        ({**STACK_PARAMETERS, "CodeS3Key": ""}, ["ZipNeedsTheZip"]),
        ({**WITH_KMS_AND_VPC, "SubnetIds": ""}, ["VpcNeedsSubnets"]),
        ({**STACK_PARAMETERS, "SubnetIds": "subnet-0a1b2c3d"}, ["SubnetsNeedTheVpc"]),
        ({**STACK_PARAMETERS, "DatabaseSecurityGroupId": DATABASE_SECURITY_GROUP_ID}, ["SubnetsNeedTheVpc"]),
    ],
)
def test_rules_refuse_a_stack_missing_its_code_or_subnets(
    template: dict[str, Any], parameters: dict[str, str], broken: list[str]
) -> None:
    failures = template_values(template, parameters).broken_rules()
    assert [failure.split(":", 1)[0] for failure in failures] == broken
    assert all(len(failure.split(":", 1)[1].strip()) > 20 for failure in failures)  # a sentence, not an id


def test_log_groups_use_the_key_only_when_given(template: dict[str, Any]) -> None:
    with_key = template_values(template, WITH_KMS_AND_VPC)
    without = template_values(template, STACK_PARAMETERS)
    for logical_id in ("RunLocustLogGroup", "PartitionLogGroup"):
        assert (
            with_key.properties(logical_id)["KmsKeyId"] == KMS_KEY_ARN
        )  # as the seed's, the environment's key
        assert "KmsKeyId" not in without.properties(logical_id)
