# run-locust: its log group, role and policy, and the function (CloudFormation's RunLocustLogGroup,
# RunLocustRole, RunLocustFunction).

resource "aws_cloudwatch_log_group" "run_locust" {
  name              = "/aws/lambda/${local.run_locust_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.has_kms_key ? var.kms_key_arn : null
  #checkov:skip=CKV_AWS_158:Encrypted with kms_key_arn when one is given (as the seed's, with the environment's key); checkov cannot see the condition.
  #checkov:skip=CKV_AWS_338:Retention is log_retention_days (90 by default, the template's), not a fixed year.
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "run_locust" {
  name               = "${local.run_locust_name}-role"
  description        = "Role of the ${local.run_locust_name} Lambda"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy" "run_locust" {
  name   = "run-locust"
  role   = aws_iam_role.run_locust.id
  policy = data.aws_iam_policy_document.run_locust.json
}

# Network interfaces in the VPC; AWS's managed policy is the documented way to grant them.
resource "aws_iam_role_policy_attachment" "run_locust_vpc_access" {
  count      = local.in_vpc ? 1 : 0
  role       = aws_iam_role.run_locust.id
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

data "aws_iam_policy_document" "run_locust" {
  statement {
    sid       = "WriteLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${aws_cloudwatch_log_group.run_locust.name}:*"]
  }
  statement {
    sid     = "ReadSuiteSecrets"
    effect  = "Allow"
    actions = ["ssm:GetParameters"]
    resources = [
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/bfd/${var.environment}/locust/sensitive/db/username",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/bfd/${var.environment}/locust/sensitive/db/password",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/bfd/${var.environment}/locust/sensitive/cert/key",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/bfd/${var.environment}/locust/sensitive/cert/pem_data",
    ]
  }
  statement {
    sid       = "WriteAndReadRecords"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${local.bucket_arn}/${local.table_prefix}*"]
  }
  statement {
    sid       = "RunMarkers"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${local.bucket_arn}/lambda-runs/*"]
  }
  statement {
    sid       = "AthenaQueryResults"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${local.bucket_arn}/query_results/*"]
  }
  statement {
    sid       = "AthenaListsTheBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }
  statement {
    sid     = "GlueTableAndPartitions"
    effect  = "Allow"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:CreatePartition", "glue:BatchCreatePartition"]
    resources = local.glue_arns
  }
  statement {
    sid       = "AthenaQueries"
    effect    = "Allow"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup"]
    resources = ["arn:${local.partition}:athena:${local.region}:${local.account_id}:workgroup/${var.stats_bucket_name}"]
  }
  dynamic "statement" {
    for_each = local.has_kms_key ? [1] : []
    content {
      sid       = "UseTheKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
    }
  }
}

resource "aws_lambda_function" "run_locust" {
  function_name = local.run_locust_name
  description   = "Runs a Locust suite through pytest-bfd-locust (the seed's run-locust payload)"
  package_type  = var.package_type
  # An image has its handler in its CMD and its runtime in its base image.
  handler       = local.is_image ? null : "lambda_entry.handler"
  runtime       = local.is_image ? null : var.runtime
  image_uri     = local.is_image ? var.image_uri : null
  s3_bucket     = local.is_image ? null : var.code_s3_bucket
  s3_key        = local.is_image ? null : var.code_s3_key
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout
  role          = aws_iam_role.run_locust.arn
  depends_on    = [aws_cloudwatch_log_group.run_locust, aws_iam_role_policy.run_locust]
  #checkov:skip=CKV_AWS_116:Invoked synchronously (aws lambda invoke, the seed's way); a dead-letter queue only receives failed asynchronous events.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is taken from the account's pool for every other function; runs are started by operators and CI, and a run_id makes a retry answer the first run.
  #checkov:skip=CKV_AWS_173:The environment holds names only (environment, reader host, bucket, database, table, workgroup); the secrets come from SSM SecureString parameters.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile and a signed zip or image the build does not make; the code comes from the operator's own bucket or ECR repository.
  #checkov:skip=CKV_AWS_50:X-Ray tracing adds nothing to a load generator's own measurements; the template does not enable it either.

  dynamic "vpc_config" {
    for_each = local.in_vpc ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = concat([aws_security_group.run_locust[0].id], var.security_group_ids)
    }
  }

  environment {
    variables = {
      BFD_ENVIRONMENT        = var.environment
      READER_ENDPOINT        = var.reader_endpoint
      STATS_BUCKET_ID        = var.stats_bucket_name
      STATS_ATHENA_DATABASE  = var.stats_database_name
      STATS_ATHENA_TABLE     = var.stats_table_name
      STATS_ATHENA_WORKGROUP = var.stats_bucket_name
      AWS_CURRENT_REGION     = local.region
    }
  }

  # The template's Rules: refuse a plan whose package type or VPC lacks what it needs.
  lifecycle {
    precondition {
      condition     = local.is_image ? var.image_uri != "" : (var.code_s3_bucket != "" && var.code_s3_key != "")
      error_message = "package_type Zip needs code_s3_bucket and code_s3_key; Image needs image_uri."
    }
    precondition {
      condition     = local.in_vpc == (length(var.subnet_ids) > 0)
      error_message = "vpc_id needs subnet_ids, and subnet_ids need vpc_id."
    }
    precondition {
      condition     = local.in_vpc || (length(var.security_group_ids) == 0 && var.database_security_group_id == "")
      error_message = "security_group_ids and database_security_group_id need vpc_id."
    }
  }
}
