# The pytest-bfd-locust stack as an OpenTofu module, for operators who run the seed's tool. It is
# the stack of deploy/cloudformation.yaml, resource for resource, with the same names; the
# variables are the template's parameters in snake_case. tests/deploy/test_tofu_module.py
# cross-checks the two (resources, names, environment variables, IAM statements role by role).
# Not validated here (no tofu binary or provider can be fetched): run `tofu init && tofu validate`
# and `tofu plan` before the first apply (docs/lambda.md, "OpenTofu").
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name_prefix     = "bfd-${var.environment}-locust"
  run_locust_name = "bfd-${var.environment}-locust-run-locust"
  partition_name  = "bfd-${var.environment}-locust-stats-partition"

  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  create_store        = var.create_stats_store
  has_kms_key         = var.kms_key_arn != ""
  is_image            = var.package_type == "Image"
  in_vpc              = var.vpc_id != ""
  has_more_groups     = local.in_vpc && length(var.security_group_ids) > 0
  target_not_on_https = local.in_vpc && var.target_port != 443
  reaches_database    = local.in_vpc && var.database_security_group_id != ""

  bucket_arn   = "arn:${data.aws_partition.current.partition}:s3:::${var.stats_bucket_name}"
  table_prefix = "databases/${var.stats_database_name}/${var.stats_table_name}/"
  glue_arns = [
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.stats_database_name}",
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.stats_database_name}/${var.stats_table_name}",
  ]
}
