"""The template deployed into moto's CloudFormation (`create_stack`), then used as the code uses it.

moto creates the bucket (with its encryption), both roles with their inline policies, both
functions, their log groups and the invoke permission, and in a VPC run-locust's security group
and the ingress rule on the database's group. It does not create AWS::S3::BucketPolicy,
AWS::Athena::WorkGroup, AWS::Glue::Database, AWS::Glue::Table or AWS::EC2::SecurityGroupEgress
(it warns and skips them); `test_moto_skips_only_what_it_does_not_support` pins that list. Those
are created here through the AWS API from the template's own evaluated properties (botocore checks
their shapes against the API's), and their settings are checked in test_cloudformation_template.py.
moto's roles also ignore ManagedPolicyArns, its security groups their inline egress rules, and
its functions PackageType and ImageConfig: those are checked on the template's evaluated
properties (here for the image variant, in test_cloudformation_template.py for the rest).
"""

from __future__ import annotations

import ast
import io
import json
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.athena.models import athena_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from deploy.cfn import TemplateValues
from lambda_entry.dedup import MARKER_PREFIX
from lambda_entry.partition_handler import partition_handler
from lambda_entry.secrets import parameter_names
from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.judge.baseline import BaselineQuery
from pytest_bfd_locust.record import ResultStatus
from pytest_bfd_locust.stores.s3 import OPTIONAL_COLUMNS, S3Store, S3StoreConfig
from tests.deploy.conftest import (
    ACCOUNT,
    AS_IMAGE,
    ENVIRONMENT,
    IMAGE_URI,
    REGION,
    STACK_PARAMETERS,
    WITH_KMS_AND_VPC,
)
from tests.record_factory import make_record
from tests.store.conftest import queue_results, result_row

# moto repeats its warning on every call that reads the stack; deploy() records the first ones.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.*not supported:UserWarning")

STACK_NAME = "bfd-test-locust"
MOTO_SKIPS = frozenset(
    {
        "AWS::S3::BucketPolicy",
        "AWS::Athena::WorkGroup",
        "AWS::Glue::Database",
        "AWS::Glue::Table",
        "AWS::EC2::SecurityGroupEgress",
    }
)


@dataclass(frozen=True)
class DeployedStack:
    clients: AwsClients
    cfn: Any
    iam: Any
    awslambda: Any
    ec2: Any
    values: TemplateValues
    """The template's values for the parameters the stack was created with."""
    outputs: dict[str, str]
    resources: dict[str, dict[str, str]]
    """Logical id -> moto's stack resource summary (for the resources moto created)."""
    skipped_types: frozenset[str]


def deploy(template: Mapping[str, Any], parameters: Mapping[str, str]) -> DeployedStack:
    """Create the stack in the current moto account; complete what moto's CloudFormation skips.

    A VpcId and DatabaseSecurityGroupId given are replaced by a VPC and a database group created
    in moto first, as the seed's network and database stacks would have made them.
    """
    clients = AwsClients.create(REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    kms = boto3.client("kms", region_name=REGION)
    key_arn = kms.create_key(Description="the environment's key")["KeyMetadata"]["Arn"]
    parameters = {**parameters, "KmsKeyArn": key_arn} if "KmsKeyArn" in parameters else dict(parameters)
    if parameters.get("VpcId"):
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        parameters["VpcId"] = vpc_id
        if parameters.get("DatabaseSecurityGroupId"):
            parameters["DatabaseSecurityGroupId"] = ec2.create_security_group(
                GroupName="bfd-test-aurora-cluster", Description="the database cluster", VpcId=vpc_id
            )["GroupId"]
    if parameters.get("PackageType", "Zip") == "Zip":
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("lambda_entry/__init__.py", "")  # moto stores the code; it never runs it here
        clients.s3.create_bucket(Bucket=parameters["CodeS3Bucket"])
        clients.s3.put_object(
            Bucket=parameters["CodeS3Bucket"], Key=parameters["CodeS3Key"], Body=code.getvalue()
        )
    cfn = boto3.client("cloudformation", region_name=REGION)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfn.create_stack(
            StackName=STACK_NAME,
            TemplateBody=_template_text(),
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
    skipped = frozenset(
        kind
        for warning in caught
        for kind in MOTO_SKIPS | {"AWS::"}
        if f"parse {kind} but" in str(warning.message)
    )
    [stack] = cfn.describe_stacks(StackName=STACK_NAME)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    summaries = cfn.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
    ids = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries if s["LogicalResourceId"]}
    values = TemplateValues(
        template, parameters, region=REGION, account=ACCOUNT, resource_ids=_security_group_ids(ec2, ids)
    )
    assert values.broken_rules() == []
    _create_what_moto_skips(clients, ec2, values)
    return DeployedStack(
        clients=clients,
        cfn=cfn,
        iam=boto3.client("iam", region_name=REGION),
        awslambda=boto3.client("lambda", region_name=REGION),
        ec2=ec2,
        values=values,
        outputs={output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]},
        # moto lists the resources it skipped with empty ids
        resources={s["LogicalResourceId"]: s for s in summaries if s["LogicalResourceId"]},
        skipped_types=skipped,
    )


def _template_text() -> str:
    from deploy.cfn import TEMPLATE_PATH

    return TEMPLATE_PATH.read_text()


def _security_group_ids(ec2: Any, physical_ids: Mapping[str, str]) -> dict[str, str]:
    """The group id of each security group moto created (moto names the resource by its group name)."""
    found = {}
    for logical_id in ("RunLocustSecurityGroup",):
        if logical_id in physical_ids:
            name = physical_ids[logical_id]
            if name.startswith("sg-"):
                found[logical_id] = name
            else:
                [group] = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])[
                    "SecurityGroups"
                ]
                found[logical_id] = group["GroupId"]
    return found


def _create_what_moto_skips(clients: AwsClients, ec2: Any, values: TemplateValues) -> None:
    if values.created("StatsDatabase"):
        database = values.properties("StatsDatabase")
        clients.glue.create_database(CatalogId=database["CatalogId"], DatabaseInput=database["DatabaseInput"])
    if values.created("StatsTable"):
        table = values.properties("StatsTable")
        clients.glue.create_table(
            CatalogId=table["CatalogId"], DatabaseName=table["DatabaseName"], TableInput=table["TableInput"]
        )
    if values.created("StatsWorkGroup"):
        workgroup = values.properties("StatsWorkGroup")
        clients.athena.create_work_group(
            Name=workgroup["Name"],
            Description=workgroup["Description"],
            Configuration=workgroup["WorkGroupConfiguration"],
        )
    for logical_id in ("RunLocustTargetEgress", "RunLocustDatabaseEgress"):
        if values.created(logical_id):
            rule = values.properties(logical_id)
            target = (
                {"UserIdGroupPairs": [{"GroupId": rule["DestinationSecurityGroupId"]}]}
                if "DestinationSecurityGroupId" in rule
                else {"IpRanges": [{"CidrIp": rule["CidrIp"], "Description": rule["Description"]}]}
            )
            ec2.authorize_security_group_egress(
                GroupId=rule["GroupId"],
                IpPermissions=[
                    {
                        "IpProtocol": rule["IpProtocol"],
                        "FromPort": int(rule["FromPort"]),
                        "ToPort": int(rule["ToPort"]),
                        **target,
                    }
                ],
            )


@pytest.fixture
def moto_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield
        state_manager.unset_transition("athena::execution")


@pytest.fixture
def stack(moto_account: None, template: dict[str, Any]) -> DeployedStack:
    return deploy(template, WITH_KMS_AND_VPC)


def test_moto_skips_only_what_it_does_not_support(stack: DeployedStack) -> None:
    assert stack.skipped_types == MOTO_SKIPS
    created = {logical_id: summary["ResourceType"] for logical_id, summary in stack.resources.items()}
    expected = {
        logical_id: resource["Type"]
        for logical_id, resource in stack.values.resources.items()
        if resource["Type"] not in MOTO_SKIPS
    }
    assert created == expected


def test_outputs_name_the_stack_resources(stack: DeployedStack) -> None:
    assert stack.outputs == {
        "RunLocustFunctionName": "bfd-test-locust-run-locust",
        "RunLocustLogGroupName": "/aws/lambda/bfd-test-locust-run-locust",
        "PartitionFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bfd-test-locust-stats-partition",
        "StatsBucket": "bfd-test-locust-stats",
        "StatsWorkGroup": "bfd-test-locust-stats",
        "StatsDatabase": "bfd_test_locust_stats",
        "StatsTable": "data",
        "StoreUri": "s3://bfd-test-locust-stats?database=bfd_test_locust_stats&table=data"
        f"&workgroup=bfd-test-locust-stats&region={REGION}",
        "SecretsPath": "/bfd/test/locust/sensitive/",
        "RunLocustSecurityGroupId": stack.values.ref("RunLocustSecurityGroup"),
    }
    assert stack.outputs["RunLocustSecurityGroupId"].startswith("sg-")
    assert S3StoreConfig.from_uri(stack.outputs["StoreUri"]).table == "data"


def test_bucket_encrypted_with_the_key(stack: DeployedStack) -> None:
    [rule] = stack.clients.s3.get_bucket_encryption(Bucket="bfd-test-locust-stats")[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": stack.values.ref("KmsKeyArn"),
    }


def test_workgroup_and_table_as_created(stack: DeployedStack) -> None:
    workgroup = stack.clients.athena.get_work_group(WorkGroup="bfd-test-locust-stats")["WorkGroup"]
    configuration = workgroup["Configuration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert (
        configuration["ResultConfiguration"]["OutputLocation"] == "s3://bfd-test-locust-stats/query_results/"
    )
    assert configuration["EngineVersion"]["SelectedEngineVersion"] == "Athena engine version 3"
    table = stack.clients.glue.get_table(DatabaseName="bfd_test_locust_stats", Name="data")["Table"]
    assert [key["Name"] for key in table["PartitionKeys"]] == ["hash"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]][-len(OPTIONAL_COLUMNS) :] == list(
        OPTIONAL_COLUMNS
    )


def test_functions_configured(stack: DeployedStack) -> None:
    run = stack.awslambda.get_function_configuration(FunctionName="bfd-test-locust-run-locust")
    assert (run["Handler"], run["Runtime"], run["MemorySize"], run["Timeout"]) == (
        "lambda_entry.handler", "python3.12", 2048, 900,
    )  # fmt: skip
    assert run["Architectures"] == ["x86_64"]
    assert run["Role"] == f"arn:aws:iam::{ACCOUNT}:role/bfd-test-locust-run-locust-role"
    assert run["VpcConfig"]["SubnetIds"] == ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
    assert run["VpcConfig"]["SecurityGroupIds"] == [stack.values.ref("RunLocustSecurityGroup")]
    assert run["Environment"]["Variables"]["STATS_BUCKET_ID"] == "bfd-test-locust-stats"
    partition = stack.awslambda.get_function_configuration(FunctionName="bfd-test-locust-stats-partition")
    assert partition["Handler"] == "lambda_entry.partition_handler"
    assert partition["Role"] == f"arn:aws:iam::{ACCOUNT}:role/bfd-test-locust-stats-partition-role"
    assert not partition.get("VpcConfig", {}).get("SubnetIds")


def test_only_s3_from_the_stats_bucket_may_invoke_the_partition_function(stack: DeployedStack) -> None:
    policy = json.loads(stack.awslambda.get_policy(FunctionName="bfd-test-locust-stats-partition")["Policy"])
    [statement] = policy["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction" and statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bfd-test-locust-stats"},
        "StringEquals": {"AWS:SourceAccount": ACCOUNT},
    }


# --- the network: the seed's security group and the rule on the database's group ----------------------


def describe_group(stack: DeployedStack, group_id: str) -> dict[str, Any]:
    [group] = stack.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    return dict(group)


def test_run_locust_gets_its_group_in_the_vpc_and_the_database_lets_it_in(stack: DeployedStack) -> None:
    group_id = stack.values.ref("RunLocustSecurityGroup")
    group = describe_group(stack, group_id)
    assert group["GroupName"] == "bfd-test-locust-run-locust-sg"  # the seed's name
    assert group["VpcId"] == stack.values.ref("VpcId")
    assert {"Key": "Name", "Value": "bfd-test-locust-run-locust-sg"} in group["Tags"]
    run = stack.awslambda.get_function_configuration(FunctionName="bfd-test-locust-run-locust")
    assert run["VpcConfig"]["SecurityGroupIds"] == [group_id]

    database = describe_group(stack, stack.values.ref("DatabaseSecurityGroupId"))
    [ingress] = database["IpPermissions"]
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 5432, 5432)
    assert [pair["GroupId"] for pair in ingress["UserIdGroupPairs"]] == [group_id]
    assert ingress["IpRanges"] == []  # from run-locust's group only, no address range
    to_database = [rule for rule in group["IpPermissionsEgress"] if rule["UserIdGroupPairs"]]
    assert [
        (rule["FromPort"], [pair["GroupId"] for pair in rule["UserIdGroupPairs"]]) for rule in to_database
    ] == [(5432, [database["GroupId"]])]


def test_without_a_vpc_neither_group_nor_rule(moto_account: None, template: dict[str, Any]) -> None:
    stack = deploy(template, STACK_PARAMETERS)
    network = {
        logical_id for logical_id, r in stack.values.resources.items() if r["Type"].startswith("AWS::EC2::")
    }
    assert network == {
        "RunLocustSecurityGroup",
        "RunLocustTargetEgress",
        "RunLocustDatabaseEgress",
        "DatabaseIngressFromRunLocust",
    }
    assert not network & set(stack.resources)
    names = {group["GroupName"] for group in stack.ec2.describe_security_groups()["SecurityGroups"]}
    assert names == {"default"}
    run = stack.awslambda.get_function_configuration(FunctionName="bfd-test-locust-run-locust")
    assert not run.get("VpcConfig", {}).get("SubnetIds") and not run.get("VpcConfig", {}).get(
        "SecurityGroupIds"
    )
    assert "RunLocustSecurityGroupId" not in stack.outputs
    assert "ManagedPolicyArns" not in stack.values.properties("RunLocustRole")


def test_the_image_variant_runs_both_functions_from_the_image(
    moto_account: None, template: dict[str, Any]
) -> None:
    stack = deploy(template, AS_IMAGE)
    assert not stack.clients.s3.list_buckets()["Buckets"][1:]  # the stats bucket only: no code bucket
    for logical_id, name, image_config in (
        ("RunLocustFunction", "bfd-test-locust-run-locust", None),
        (
            "PartitionFunction",
            "bfd-test-locust-stats-partition",
            {"Command": ["lambda_entry.partition_handler"]},
        ),
    ):
        function = stack.awslambda.get_function(FunctionName=name)
        assert function["Code"]["ImageUri"] == IMAGE_URI
        # the image's CMD is the handler, its base image the runtime
        assert not function["Configuration"].get("Handler") and not function["Configuration"].get("Runtime")
        properties = stack.values.properties(logical_id)  # what moto's CloudFormation does not pass on
        assert (properties["PackageType"], properties.get("ImageConfig")) == ("Image", image_config)
        assert properties["Code"] == {"ImageUri": IMAGE_URI}


# --- least privilege: the deployed role policies, statement by statement -------------------------------


def policy_document(value: Any) -> dict[str, Any]:
    """A role policy as IAM answers it: a dict, or JSON text (moto answers the dict's Python repr)."""
    if isinstance(value, dict):
        return value
    try:
        document: dict[str, Any] = json.loads(value)
    except ValueError:
        document = ast.literal_eval(value)
    return document


def deployed_statements(stack: DeployedStack, role: str) -> list[dict[str, Any]]:
    names = stack.iam.list_role_policies(RoleName=role)["PolicyNames"]
    return [
        statement
        for name in names
        for statement in policy_document(
            stack.iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        )["Statement"]
    ]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def stack_resource_arns(stack: DeployedStack) -> dict[str, set[str]]:
    """What each role may touch: ARNs built from the stack's own resources and the code's layout."""
    bucket = stack.resources["StatsBucket"]["PhysicalResourceId"]
    config = S3StoreConfig.from_uri(stack.outputs["StoreUri"])
    workgroup_location = stack.clients.athena.get_work_group(WorkGroup=config.workgroup)["WorkGroup"][
        "Configuration"
    ]["ResultConfiguration"]["OutputLocation"]
    results_prefix = workgroup_location.removeprefix(f"s3://{bucket}/")
    glue = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    glue_arns = {
        f"{glue}:catalog",
        f"{glue}:database/{config.database}",
        f"{glue}:table/{config.database}/{config.table}",
    }

    def log_group(logical_id: str) -> str:
        return (
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{stack.resources[logical_id]['PhysicalResourceId']}:*"
        )

    return {
        "bfd-test-locust-run-locust-role": {
            log_group("RunLocustLogGroup"),
            *(
                f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"
                for name in parameter_names(ENVIRONMENT).values()
            ),
            f"arn:aws:s3:::{bucket}",
            f"arn:aws:s3:::{bucket}/{config.table_prefix}*",
            f"arn:aws:s3:::{bucket}/{MARKER_PREFIX}*",
            f"arn:aws:s3:::{bucket}/{results_prefix}*",
            *glue_arns,
            f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{config.workgroup}",
            stack.values.ref("KmsKeyArn"),
        },
        "bfd-test-locust-stats-partition-role": {log_group("PartitionLogGroup"), *glue_arns},
    }


@pytest.mark.parametrize("role", ["bfd-test-locust-run-locust-role", "bfd-test-locust-stats-partition-role"])
def test_role_policy_grants_nothing_outside_the_stack(stack: DeployedStack, role: str) -> None:
    allowed = stack_resource_arns(stack)[role]
    statements = deployed_statements(stack, role)
    granted: set[str] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow" and set(statement) == {"Sid", "Effect", "Action", "Resource"}
        for action in as_list(statement["Action"]):
            service, _, name = action.partition(":")
            assert service in ("logs", "ssm", "s3", "glue", "athena", "kms") and name and "*" not in name, (
                action
            )
        resources = as_list(statement["Resource"])
        assert set(resources) <= allowed, (statement["Sid"], set(resources) - allowed)
        granted.update(resources)
    assert granted == allowed  # and every resource the code needs is granted
    logical_id = "RunLocustRole" if "run-locust" in role else "PartitionRole"
    [template_policy] = stack.values.properties(logical_id)["Policies"]
    assert statements == template_policy["PolicyDocument"]["Statement"]  # deployed as written


def test_roles_trust_only_lambda(stack: DeployedStack) -> None:
    for role in ("bfd-test-locust-run-locust-role", "bfd-test-locust-stats-partition-role"):
        trust = policy_document(stack.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])
        assert trust["Statement"] == [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]


# --- the store on the deployed stack -----------------------------------------------------------------


def test_a_stored_record_is_a_baseline_athena_finds(stack: DeployedStack) -> None:
    store = S3Store(
        S3StoreConfig.from_uri(stack.outputs["StoreUri"]),
        stack.clients,
        query_timeout=30.0,
        poll_interval=0.001,
    )
    record = make_record(
        hash="c" * 64,
        tags=("nightly",),
        run_id="3f2a9c1e",
        histograms={("/v2/fhir/Patient", "GET"): {100: 9}},
    ).with_results(compare=ResultStatus.PASSED, validation=ResultStatus.PASSED)
    saved = store.store_record(record)
    assert saved.warnings == ()  # the table exists from the first record on: no crawler needed
    key = saved.location.removeprefix("s3://bfd-test-locust-stats/")
    assert key == f"databases/bfd_test_locust_stats/data/hash={'c' * 64}/1700000000-3f2a9c1e.stats.json"
    head = stack.clients.s3.head_object(Bucket="bfd-test-locust-stats", Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"

    partition = stack.clients.glue.get_partition(
        DatabaseName="bfd_test_locust_stats", TableName="data", PartitionValues=["c" * 64]
    )["Partition"]
    location = f"s3://bfd-test-locust-stats/databases/bfd_test_locust_stats/data/hash={'c' * 64}/"
    assert partition["StorageDescriptor"]["Location"] == location
    assert (
        partition["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.openx.data.jsonserde.JsonSerDe"
    )

    # The bucket's notification hands the same key to the partition function: already registered.
    s3_object = {"bucket": {"name": "bfd-test-locust-stats"}, "object": {"key": key}}
    event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": s3_object}]}
    [processed] = partition_handler(event, None, clients=stack.clients)["processed"]
    assert (processed["outcome"], processed["hash"]) == ("exists", "c" * 64)

    queue_results([result_row(record, saved.location)])  # what Athena answers from that partition
    loaded = store.load_baseline(BaselineQuery(hash="c" * 64, tag="nightly", total_runtime=30.5, limit=5))
    assert loaded.records == (record,) and loaded.warnings == ()
    [execution] = athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions.values()
    assert execution.workgroup is not None and execution.workgroup.name == "bfd-test-locust-stats"
    assert 'FROM "bfd_test_locust_stats"."data"' in execution.query and 'WHERE "hash" = ?' in execution.query
    assert all(f'AS "{column}"' in execution.query for column in OPTIONAL_COLUMNS)  # the table has them all


def test_existing_store_stays_in_place(moto_account: None, template: dict[str, Any]) -> None:
    """CreateStatsStore=false: the seed's bucket, with its history, is used and not touched."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="bfd-test-locust-stats")
    old_key = f"databases/bfd_test_locust_stats/data/hash={'d' * 64}/1600000000-seed.stats.json"
    old_record = replace(make_record(hash="d" * 64)).to_text()
    s3.put_object(Bucket="bfd-test-locust-stats", Key=old_key, Body=old_record.encode())
    stack = deploy(template, {**STACK_PARAMETERS, "CreateStatsStore": "false"})
    assert "StatsBucket" not in stack.resources
    assert s3.get_object(Bucket="bfd-test-locust-stats", Key=old_key)["Body"].read().decode() == old_record
    variables = stack.awslambda.get_function_configuration(FunctionName="bfd-test-locust-run-locust")[
        "Environment"
    ]["Variables"]
    assert (variables["STATS_BUCKET_ID"], variables["STATS_ATHENA_DATABASE"]) == (
        "bfd-test-locust-stats", "bfd_test_locust_stats",
    )  # fmt: skip
