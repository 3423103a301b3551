# stats-partition: S3 ObjectCreated -> Glue partition (CloudFormation's PartitionLogGroup,
# PartitionRole, PartitionFunction, PartitionFunctionPermission).

resource "aws_cloudwatch_log_group" "partition" {
  name              = "/aws/lambda/${local.partition_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.has_kms_key ? var.kms_key_arn : null
  #checkov:skip=CKV_AWS_158:Encrypted with kms_key_arn when one is given (as the seed's, with the environment's key); checkov cannot see the condition.
  #checkov:skip=CKV_AWS_338:Retention is log_retention_days (90 by default, the template's), not a fixed year.
}

resource "aws_iam_role" "partition" {
  name               = "${local.partition_name}-role"
  description        = "Role of the ${local.partition_name} Lambda"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy" "partition" {
  name   = "stats-partition"
  role   = aws_iam_role.partition.id
  policy = data.aws_iam_policy_document.partition.json
}

data "aws_iam_policy_document" "partition" {
  statement {
    sid       = "WriteLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${aws_cloudwatch_log_group.partition.name}:*"]
  }
  statement {
    sid       = "RegisterPartitions"
    effect    = "Allow"
    actions   = ["glue:GetTable", "glue:CreatePartition"]
    resources = local.glue_arns
  }
}

resource "aws_lambda_function" "partition" {
  function_name = local.partition_name
  description   = "Registers the Glue partition of every new stats record"
  package_type  = var.package_type
  handler       = local.is_image ? null : "lambda_entry.partition_handler"
  runtime       = local.is_image ? null : var.runtime
  image_uri     = local.is_image ? var.image_uri : null
  s3_bucket     = local.is_image ? null : var.code_s3_bucket
  s3_key        = local.is_image ? null : var.code_s3_key
  architectures = [var.architecture]
  memory_size   = 512
  timeout       = 60
  role          = aws_iam_role.partition.arn
  depends_on    = [aws_cloudwatch_log_group.partition, aws_iam_role_policy.partition]
  #checkov:skip=CKV_AWS_116:A lost event loses nothing: the S3 store registers a record's partition itself when it saves the record; this function is the second path.
  #checkov:skip=CKV_AWS_117:It only calls Glue and writes its logs; inside a VPC it would need a NAT or Glue and Logs endpoints for no gain.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is taken from the account's pool for every other function; S3 invokes it once per new record.
  #checkov:skip=CKV_AWS_173:The environment holds the region's name only (AWS_CURRENT_REGION); nothing in it is secret.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile and a signed zip or image the build does not make; the code comes from the operator's own bucket or ECR repository.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is not enabled by the template either; the function makes one or two Glue calls.

  # The same image as run-locust, started with the other handler.
  dynamic "image_config" {
    for_each = local.is_image ? [1] : []
    content {
      command = ["lambda_entry.partition_handler"]
    }
  }

  environment {
    variables = {
      AWS_CURRENT_REGION = local.region
    }
  }
}

# The bucket is named by its ARN (not the bucket resource): the notification depends on this.
resource "aws_lambda_permission" "partition" {
  statement_id   = "AllowStatsBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.partition.arn
  principal      = "s3.amazonaws.com"
  source_account = local.account_id
  source_arn     = local.bucket_arn
}
