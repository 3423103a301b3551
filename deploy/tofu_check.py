"""The OpenTofu module and the CloudFormation template hold the same stack: the cross-check.

For one set of template parameters (turned into the module's variables by `tofu_variables`),
`differences` evaluates both (deploy/cfn.py, deploy/hcl.py) and lists, one line each, whatever
differs: a resource without its counterpart, a resource created on one side only, a name, a
function's environment variables or settings, a role's trust, inline policy (statement by
statement: effect, actions, resources) or managed policies, a security group rule, the store's
settings, an output. An empty list is agreement; tests/deploy/test_tofu_module.py runs it for
several parameter sets and shows that one changed IAM action or resource name is caught.

`python -m deploy.tofu_check` runs the same check for the parameter sets in `PARAMETER_SETS`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from deploy.cfn import TemplateValues, load_template
from deploy.hcl import NAME_ATTRIBUTES, TofuModule, TofuValues

CORRESPONDENCE: dict[str, tuple[str, ...]] = {
    "StatsBucket": (
        "aws_s3_bucket.stats",
        "aws_s3_bucket_server_side_encryption_configuration.stats",
        "aws_s3_bucket_public_access_block.stats",
        "aws_s3_bucket_ownership_controls.stats",
        "aws_s3_bucket_versioning.stats",
        "aws_s3_bucket_lifecycle_configuration.stats",
        "aws_s3_bucket_notification.stats",
    ),
    "StatsBucketPolicy": ("aws_s3_bucket_policy.stats",),
    "StatsWorkGroup": ("aws_athena_workgroup.stats",),
    "StatsDatabase": ("aws_glue_catalog_database.stats",),
    "StatsTable": ("aws_glue_catalog_table.stats",),
    "RunLocustLogGroup": ("aws_cloudwatch_log_group.run_locust",),
    "RunLocustRole": ("aws_iam_role.run_locust", "aws_iam_role_policy.run_locust"),
    "RunLocustSecurityGroup": (
        "aws_security_group.run_locust",
        "aws_vpc_security_group_egress_rule.run_locust_https",
    ),
    "RunLocustTargetEgress": ("aws_vpc_security_group_egress_rule.run_locust_target",),
    "RunLocustDatabaseEgress": ("aws_vpc_security_group_egress_rule.run_locust_database",),
    "DatabaseIngressFromRunLocust": ("aws_vpc_security_group_ingress_rule.allow_run_locust",),
    "RunLocustFunction": ("aws_lambda_function.run_locust",),
    "PartitionLogGroup": ("aws_cloudwatch_log_group.partition",),
    "PartitionRole": ("aws_iam_role.partition", "aws_iam_role_policy.partition"),
    "PartitionFunction": ("aws_lambda_function.partition",),
    "PartitionFunctionPermission": ("aws_lambda_permission.partition",),
}
"""Template logical id -> the module's resources that make it: the first is the resource itself,
the others are the parts HCL keeps apart (a bucket's settings, a role's inline policy, a group's
inline egress rule); they exist exactly when it does."""

MANAGED_POLICY_ATTACHMENTS: dict[str, tuple[str, ...]] = {
    "RunLocustRole": ("aws_iam_role_policy_attachment.run_locust_vpc_access",),
}
"""The module's attachments of a role's ManagedPolicyArns (each created only with its policy)."""


_BOOLEAN_PARAMETERS = frozenset({"CreateStatsStore"})


def snake_case(name: str) -> str:
    """A template parameter's or output's name in the module: `CodeS3Bucket` -> `code_s3_bucket`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def tofu_variables(template: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    """The template's parameters as the module's variables, in HCL's types (lists, numbers, bools)."""
    variables: dict[str, Any] = {}
    for name, value in parameters.items():
        kind = template["Parameters"][name]["Type"]
        if kind == "CommaDelimitedList":
            variables[snake_case(name)] = [item for item in value.split(",") if item]
        elif kind == "Number":
            variables[snake_case(name)] = int(value)
        elif name in _BOOLEAN_PARAMETERS:
            variables[snake_case(name)] = value == "true"
        else:
            variables[snake_case(name)] = value
    return variables


def tofu_default(template: Mapping[str, Any], name: str) -> Any:
    """The template parameter's default in the module's types (what the variable's default must be)."""
    spec = template["Parameters"][name]
    return tofu_variables(template, {name: str(spec["Default"])})[snake_case(name)]


def differences(cfn: TemplateValues, tofu: TofuValues) -> list[str]:
    """Everything that differs between the two for the same parameters; empty when they agree."""
    found: list[str] = []
    found += _structure(cfn, tofu)
    if found:
        return found
    ids = {f"<{logical_id}>": f"<{addresses[0]}>" for logical_id, addresses in CORRESPONDENCE.items()}

    def same(what: str, cfn_value: Any, tofu_value: Any) -> None:
        if _translate(cfn_value, ids) != tofu_value:
            found.append(f"{what}: CloudFormation {_translate(cfn_value, ids)!r}, OpenTofu {tofu_value!r}")

    for logical_id, addresses in CORRESPONDENCE.items():
        created = cfn.created(logical_id)
        for address in addresses:
            if (tofu.count(address) > 0) != created:
                where = "only in CloudFormation" if created else "only in OpenTofu"
                found.append(f"{logical_id} / {address}: created {where}")
        if not created or tofu.count(addresses[0]) == 0:
            continue
        kind = addresses[0].split(".")[0]
        if kind in NAME_ATTRIBUTES:
            same(
                f"{logical_id} name",
                cfn.physical_name(logical_id),
                tofu.attribute(addresses[0], NAME_ATTRIBUTES[kind]),
            )
        checker = _CHECKS.get(kind)
        if checker is not None:
            checker(cfn, tofu, logical_id, addresses, same)
    found += _outputs(cfn, tofu, same)
    return found


def _structure(cfn: TemplateValues, tofu: TofuValues) -> list[str]:
    found = [
        f"CloudFormation resource {logical_id} has no counterpart in deploy/tofu/ (CORRESPONDENCE)"
        for logical_id in cfn.resources
        if logical_id not in CORRESPONDENCE
    ]
    found += [
        f"{logical_id} in CORRESPONDENCE is not in the template"
        for logical_id in CORRESPONDENCE
        if logical_id not in cfn.resources
    ]
    mapped = {
        a for addresses in (*CORRESPONDENCE.values(), *MANAGED_POLICY_ATTACHMENTS.values()) for a in addresses
    }
    found += [
        f"OpenTofu resource {address} has no counterpart in the template (CORRESPONDENCE)"
        for address in tofu.module.resources
        if address not in mapped
    ]
    found += [
        f"{address} in CORRESPONDENCE is not in deploy/tofu/"
        for address in sorted(mapped - set(tofu.module.resources))
    ]
    return found


def _translate(value: Any, ids: Mapping[str, str]) -> Any:
    """CloudFormation's `<LogicalId>` placeholders as the module's `<type.name>`."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_translate(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _translate(item, ids) for key, item in value.items()}
    return value


Same = Callable[[str, Any, Any], None]


def _function(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    function = cfn.properties(logical_id)
    address = addresses[0]

    def tofu_value(name: str) -> Any:
        body = tofu.module.resources[address]
        return tofu.attribute(address, name) if name in body else None

    same(f"{logical_id} PackageType", function["PackageType"], tofu_value("package_type"))
    same(f"{logical_id} Handler", function.get("Handler"), tofu_value("handler"))
    same(f"{logical_id} Runtime", function.get("Runtime"), tofu_value("runtime"))
    same(f"{logical_id} Architectures", function["Architectures"], tofu_value("architectures"))
    same(f"{logical_id} MemorySize", int(function["MemorySize"]), int(tofu_value("memory_size")))
    same(f"{logical_id} Timeout", int(function["Timeout"]), int(tofu_value("timeout")))
    code = function["Code"]
    same(f"{logical_id} Code.ImageUri", code.get("ImageUri"), tofu_value("image_uri"))
    same(f"{logical_id} Code.S3Bucket", code.get("S3Bucket"), tofu_value("s3_bucket"))
    same(f"{logical_id} Code.S3Key", code.get("S3Key"), tofu_value("s3_key"))
    same(f"{logical_id} Role", function["Role"], tofu_value("role"))
    [environment] = tofu.block(address, "environment")
    same(
        f"{logical_id} environment variables", function["Environment"]["Variables"], environment["variables"]
    )
    dynamic = _dynamic_blocks(tofu, address)
    image_config = dynamic.get("image_config", [])
    tofu_image_config = {"Command": image_config[0]["command"]} if image_config else None
    same(f"{logical_id} ImageConfig", function.get("ImageConfig"), tofu_image_config)
    vpc = dynamic.get("vpc_config", [])
    tofu_vpc = (
        {"SubnetIds": vpc[0]["subnet_ids"], "SecurityGroupIds": vpc[0]["security_group_ids"]} if vpc else None
    )
    same(f"{logical_id} VpcConfig", function.get("VpcConfig"), tofu_vpc)


def _dynamic_blocks(tofu: TofuValues, address: str) -> dict[str, list[dict[str, Any]]]:
    """A resource's `dynamic` blocks as the blocks they make (one per for_each item)."""
    made: dict[str, list[dict[str, Any]]] = {}
    for dynamic in tofu.block(address, "dynamic"):
        for label, spec in dynamic.items():
            made[label] = [content for _ in spec["for_each"] for content in spec["content"]]
    return made


def _role(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    role = cfn.properties(logical_id)
    role_address, policy_address = addresses
    same(f"{logical_id} Description", role["Description"], tofu.attribute(role_address, "description"))
    same(
        f"{logical_id} trust policy",
        _statements(role["AssumeRolePolicyDocument"]),
        _statements(tofu.attribute(role_address, "assume_role_policy")),
    )
    [policy] = role["Policies"]
    same(f"{logical_id} policy name", policy["PolicyName"], tofu.attribute(policy_address, "name"))
    same(
        f"{logical_id} policy attached to",
        cfn.physical_name(logical_id),
        tofu.attribute(policy_address, "role"),
    )
    cfn_statements = _statements(policy["PolicyDocument"])
    tofu_statements = _statements(tofu.attribute(policy_address, "policy"))
    for sid in sorted(set(cfn_statements) | set(tofu_statements)):
        same(f"{logical_id} statement {sid}", cfn_statements.get(sid), tofu_statements.get(sid))
    attached = sorted(
        str(tofu.attribute(address, "policy_arn"))
        for address in MANAGED_POLICY_ATTACHMENTS.get(logical_id, ())
        if tofu.count(address) > 0
    )
    same(f"{logical_id} ManagedPolicyArns", sorted(role.get("ManagedPolicyArns", [])), attached)


def _statements(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A policy's statements by Sid, each with its effect, principal, and sorted actions and resources."""
    normalized: dict[str, dict[str, Any]] = {}
    for index, statement in enumerate(document["Statement"]):
        principal = statement.get("Principal", {})
        principal = (
            {"*": ["*"]} if principal == "*" else {k: sorted(_as_list(v)) for k, v in principal.items()}
        )
        conditions = {
            test: {key: sorted(_as_list(values)) for key, values in by_key.items()}
            for test, by_key in statement.get("Condition", {}).items()
        }
        normalized[str(statement.get("Sid", f"#{index}"))] = {
            "Effect": statement.get("Effect", "Allow"),
            "Principal": principal,
            "Action": sorted(_as_list(statement["Action"])),
            "Resource": sorted(_as_list(statement.get("Resource", []))),
            "Condition": conditions,
        }
    return normalized


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _log_group(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    group = cfn.properties(logical_id)
    same(
        f"{logical_id} RetentionInDays",
        int(group["RetentionInDays"]),
        int(tofu.attribute(addresses[0], "retention_in_days")),
    )
    same(f"{logical_id} KmsKeyId", group.get("KmsKeyId"), tofu.attribute(addresses[0], "kms_key_id"))


def _security_group(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    group = cfn.properties(logical_id)
    group_address, https_address = addresses
    same(
        f"{logical_id} GroupDescription",
        group["GroupDescription"],
        tofu.attribute(group_address, "description"),
    )
    same(f"{logical_id} VpcId", group["VpcId"], tofu.attribute(group_address, "vpc_id"))
    same(
        f"{logical_id} Tags",
        {tag["Key"]: tag["Value"] for tag in group["Tags"]},
        tofu.attribute(group_address, "tags"),
    )
    [egress] = group["SecurityGroupEgress"]
    own = {**egress, "GroupId": f"<{logical_id}>"}  # an inline rule belongs to the group itself
    same(
        f"{logical_id} egress", _rule(own), _tofu_rule(tofu, https_address, "<aws_security_group.run_locust>")
    )


def _rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    peer = rule.get("CidrIp") or rule.get("DestinationSecurityGroupId") or rule.get("SourceSecurityGroupId")
    return {
        "description": rule["Description"],
        "protocol": str(rule["IpProtocol"]).lower(),
        "ports": (int(rule["FromPort"]), int(rule["ToPort"])),
        "group": rule.get("GroupId"),
        "peer": peer,
    }


def _tofu_rule(tofu: TofuValues, address: str, group: str | None) -> dict[str, Any]:
    body = tofu.module.resources[address]
    peer_attribute = "cidr_ipv4" if "cidr_ipv4" in body else "referenced_security_group_id"
    return {
        "description": tofu.attribute(address, "description"),
        "protocol": str(tofu.attribute(address, "ip_protocol")).lower(),
        "ports": (int(tofu.attribute(address, "from_port")), int(tofu.attribute(address, "to_port"))),
        "group": group if group is not None else tofu.attribute(address, "security_group_id"),
        "peer": tofu.attribute(address, peer_attribute),
    }


def _standalone_rule(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    same(f"{logical_id} rule", _rule(cfn.properties(logical_id)), _tofu_rule(tofu, addresses[0], None))


def _bucket(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    bucket = cfn.properties(logical_id)
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [tofu_rule] = tofu.block("aws_s3_bucket_server_side_encryption_configuration.stats", "rule")
    [default] = tofu_rule["apply_server_side_encryption_by_default"]
    cfn_default = rule["ServerSideEncryptionByDefault"]
    same(f"{logical_id} encryption", (cfn_default["SSEAlgorithm"], cfn_default.get("KMSMasterKeyID")),
         (default["sse_algorithm"], default.get("kms_master_key_id")))  # fmt: skip
    [notification] = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    [tofu_notification] = tofu.block("aws_s3_bucket_notification.stats", "lambda_function")
    filters = {f["Name"]: f["Value"] for f in notification["Filter"]["S3Key"]["Rules"]}
    same(
        f"{logical_id} notification",
        (notification["Function"], [notification["Event"]], filters.get("prefix"), filters.get("suffix")),
        (tofu_notification["lambda_function_arn"], tofu_notification["events"],
         tofu_notification["filter_prefix"], tofu_notification["filter_suffix"]),
    )  # fmt: skip
    same(f"{logical_id} lifecycle", _cfn_lifecycle(bucket), _tofu_lifecycle(tofu))
    blocks = bucket["PublicAccessBlockConfiguration"]
    access = tofu.module.resources["aws_s3_bucket_public_access_block.stats"]
    same(
        f"{logical_id} public access block",
        {snake_case(key): value for key, value in blocks.items()},
        {key: tofu.value(access[key]) for key in access if key not in ("count", "bucket", "__is_block__")},
    )
    [ownership] = tofu.block("aws_s3_bucket_ownership_controls.stats", "rule")
    same(
        f"{logical_id} ownership",
        bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        ownership["object_ownership"],
    )
    [versioning] = tofu.block("aws_s3_bucket_versioning.stats", "versioning_configuration")
    same(f"{logical_id} versioning", bucket["VersioningConfiguration"]["Status"], versioning["status"])


def _cfn_lifecycle(bucket: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        rule["Id"]: (
            rule["Status"],
            rule.get("Prefix"),
            _number(rule.get("ExpirationInDays")),
            _number(rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")),
            _number(rule.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation")),
        )
        for rule in bucket["LifecycleConfiguration"]["Rules"]
    }


def _tofu_lifecycle(tofu: TofuValues) -> dict[str, tuple[Any, ...]]:
    def first(rule: Mapping[str, Any], block: str, key: str) -> Any:
        found = rule.get(block) or [{}]
        return _number(found[0].get(key))

    return {
        rule["id"]: (
            rule["status"],
            (rule.get("filter") or [{}])[0].get("prefix"),
            first(rule, "expiration", "days"),
            first(rule, "noncurrent_version_expiration", "noncurrent_days"),
            first(rule, "abort_incomplete_multipart_upload", "days_after_initiation"),
        )
        for rule in tofu.block("aws_s3_bucket_lifecycle_configuration.stats", "rule")
    }


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def _bucket_policy(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    policy = cfn.properties(logical_id)
    document = tofu.attribute(addresses[0], "policy")
    cfn_statements = _statements(policy["PolicyDocument"])
    tofu_statements = _statements(document)
    same(f"{logical_id} statements", cfn_statements, tofu_statements)


def _workgroup(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    configuration = cfn.properties(logical_id)["WorkGroupConfiguration"]
    [tofu_configuration] = tofu.block(addresses[0], "configuration")
    [result] = tofu_configuration["result_configuration"]
    [encryption] = result["encryption_configuration"]
    same(
        f"{logical_id} result configuration",
        (configuration["ResultConfiguration"]["OutputLocation"],
         configuration["ResultConfiguration"]["EncryptionConfiguration"].get("EncryptionOption"),
         configuration["ResultConfiguration"]["EncryptionConfiguration"].get("KmsKey"),
         configuration["EnforceWorkGroupConfiguration"],
         configuration["EngineVersion"]["SelectedEngineVersion"]),
        (result["output_location"], encryption["encryption_option"], encryption.get("kms_key_arn"),
         tofu_configuration["enforce_workgroup_configuration"],
         tofu_configuration["engine_version"][0]["selected_engine_version"]),
    )  # fmt: skip


def _table(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    table = cfn.properties(logical_id)["TableInput"]
    [descriptor] = tofu.block(addresses[0], "storage_descriptor")
    same(
        f"{logical_id} database",
        cfn.properties(logical_id)["DatabaseName"],
        tofu.attribute(addresses[0], "database_name"),
    )
    same(
        f"{logical_id} columns",
        [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]],
        [(c["name"], c["type"]) for c in descriptor["columns"]],
    )
    same(
        f"{logical_id} partition keys",
        [(c["Name"], c["Type"]) for c in table["PartitionKeys"]],
        [(c["name"], c["type"]) for c in tofu.block(addresses[0], "partition_keys")],
    )
    same(f"{logical_id} location", table["StorageDescriptor"]["Location"], descriptor["location"])
    same(
        f"{logical_id} SerDe",
        (
            table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
            table["StorageDescriptor"]["SerdeInfo"]["Parameters"],
        ),
        (descriptor["ser_de_info"][0]["serialization_library"], descriptor["ser_de_info"][0]["parameters"]),
    )


def _permission(
    cfn: TemplateValues, tofu: TofuValues, logical_id: str, addresses: tuple[str, ...], same: Same
) -> None:
    permission = cfn.properties(logical_id)
    address = addresses[0]
    for key, attribute in (
        ("Action", "action"), ("FunctionName", "function_name"), ("Principal", "principal"),
        ("SourceAccount", "source_account"), ("SourceArn", "source_arn"),
    ):  # fmt: skip
        same(f"{logical_id} {key}", permission[key], tofu.attribute(address, attribute))


_CHECKS: dict[str, Callable[[TemplateValues, TofuValues, str, tuple[str, ...], Same], None]] = {
    "aws_lambda_function": _function,
    "aws_iam_role": _role,
    "aws_cloudwatch_log_group": _log_group,
    "aws_security_group": _security_group,
    "aws_vpc_security_group_egress_rule": _standalone_rule,
    "aws_vpc_security_group_ingress_rule": _standalone_rule,
    "aws_s3_bucket": _bucket,
    "aws_s3_bucket_policy": _bucket_policy,
    "aws_athena_workgroup": _workgroup,
    "aws_glue_catalog_table": _table,
    "aws_lambda_permission": _permission,
}


def _outputs(cfn: TemplateValues, tofu: TofuValues, same: Same) -> list[str]:
    outputs: Mapping[str, Any] = cfn.template.get("Outputs", {})
    names = {snake_case(name): name for name in outputs}
    missing = [
        f"output {name}: only in the template" for name in sorted(set(names) - set(tofu.module.outputs))
    ]
    missing += [
        f"output {name}: only in deploy/tofu/" for name in sorted(set(tofu.module.outputs) - set(names))
    ]
    for name, original in names.items():
        if name not in tofu.module.outputs:
            continue
        output = outputs[original]
        shown = "Condition" not in output or cfn.condition(output["Condition"])
        cfn_value = cfn.resolve(output["Value"]) if shown else None
        same(f"output {name}", cfn_value, tofu.value(tofu.module.outputs[name]["value"]))
    return missing


_ZIP = {
    "Environment": "test",
    "CodeS3Bucket": "bfd-test-artifacts",
    "CodeS3Key": "run-locust.zip",
    "StatsBucketName": "bfd-test-locust-stats",
    "StatsDatabaseName": "bfd_test_locust_stats",
    "ReaderEndpoint": "reader.db.example",
}
_IN_VPC = {
    **_ZIP,
    "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "VpcId": "vpc-0a1b2c3d4e5f60718",
    "SubnetIds": "subnet-0a1b2c3d,subnet-4e5f6a7b",
    "DatabaseSecurityGroupId": "sg-0db0db0db0db0db0d",
}

PARAMETER_SETS: dict[str, dict[str, str]] = {
    "zip outside a VPC": _ZIP,
    "in the VPC with the database and a key": _IN_VPC,
    "another target port and more groups": {
        **_IN_VPC,
        "TargetPort": "8443",
        "EgressCidr": "10.8.0.0/16",
        "SecurityGroupIds": "sg-0123abcd,sg-4567ef01",
        "DatabasePort": "5433",
    },
    "the seed's existing store": {**_ZIP, "CreateStatsStore": "false"},
    "image, arm64, Python 3.11": {
        **{key: value for key, value in _ZIP.items() if not key.startswith("CodeS3")},
        "PackageType": "Image",
        "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/bfd-platform-run-locust:1.0.0",
        "Architecture": "arm64",
        "Runtime": "python3.11",
    },
}
"""The kinds of stack compared, between them creating every resource of both: `python -m
deploy.tofu_check` in CI and tests/deploy/test_tofu_module.py."""


def main() -> int:
    template = load_template()
    module = TofuModule.load()
    failed = False
    for label, parameters in PARAMETER_SETS.items():
        cfn = TemplateValues(template, parameters)
        tofu = TofuValues(module, tofu_variables(template, parameters))
        broken = cfn.broken_rules()
        for line in broken or differences(cfn, tofu):
            failed = True
            print(f"{label}: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
