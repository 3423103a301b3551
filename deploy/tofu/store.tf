# The stats store: bucket, Athena workgroup, Glue database and table (CloudFormation's StatsBucket,
# StatsBucketPolicy, StatsWorkGroup, StatsDatabase, StatsTable). prevent_destroy stands for the
# template's DeletionPolicy: Retain: they hold the history of every baseline.

resource "aws_s3_bucket" "stats" {
  count  = local.create_store ? 1 : 0
  bucket = var.stats_bucket_name
  #checkov:skip=CKV_AWS_18:Access logs need a second bucket this module does not own; the bucket holds run records only, reached through the two roles here.
  #checkov:skip=CKV_AWS_144:Cross-region replication of run records is left to the account's backup policy; versioning keeps deleted records for 30 days.
  #checkov:skip=CKV2_AWS_62:The one notification the bucket needs is aws_s3_bucket_notification.stats (new records to the partition function).
  #checkov:skip=CKV_AWS_145:Encrypted with kms_key_arn when given, SSE-S3 otherwise (aws_s3_bucket_server_side_encryption_configuration.stats), as the template.

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "stats" {
  count  = local.create_store ? 1 : 0
  bucket = aws_s3_bucket.stats[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.has_kms_key ? "aws:kms" : "AES256"
      kms_master_key_id = local.has_kms_key ? var.kms_key_arn : null
    }
    bucket_key_enabled = local.has_kms_key ? true : null
  }
}

resource "aws_s3_bucket_public_access_block" "stats" {
  count                   = local.create_store ? 1 : 0
  bucket                  = aws_s3_bucket.stats[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "stats" {
  count  = local.create_store ? 1 : 0
  bucket = aws_s3_bucket.stats[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "stats" {
  count  = local.create_store ? 1 : 0
  bucket = aws_s3_bucket.stats[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "stats" {
  count  = local.create_store ? 1 : 0
  bucket = aws_s3_bucket.stats[0].id
  rule {
    id     = "expire-athena-query-results"
    status = "Enabled"
    filter {
      prefix = "query_results/"
    }
    expiration {
      days = var.query_results_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    # Records are never overwritten; a deleted one stays recoverable this long.
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "stats" {
  count  = local.create_store ? 1 : 0
  bucket = aws_s3_bucket.stats[0].id
  policy = data.aws_iam_policy_document.stats_bucket.json
}

data "aws_iam_policy_document" "stats_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# The partition function's permission must exist before S3 accepts the notification.
resource "aws_s3_bucket_notification" "stats" {
  count      = local.create_store ? 1 : 0
  bucket     = aws_s3_bucket.stats[0].id
  depends_on = [aws_lambda_permission.partition]
  lambda_function {
    lambda_function_arn = aws_lambda_function.partition.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.table_prefix
    filter_suffix       = ".stats.json"
  }
}

resource "aws_athena_workgroup" "stats" {
  count       = local.create_store ? 1 : 0
  name        = var.stats_bucket_name
  description = "Baseline lookups of pytest-bfd-locust (the S3 store's Athena queries)"
  state       = "ENABLED"
  configuration {
    # The store passes no result location: the workgroup's applies, always.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    engine_version {
      selected_engine_version = "Athena engine version 3"
    }
    result_configuration {
      output_location = "s3://${var.stats_bucket_name}/query_results/"
      encryption_configuration {
        encryption_option = local.has_kms_key ? "SSE_KMS" : "SSE_S3"
        kms_key_arn       = local.has_kms_key ? var.kms_key_arn : null
      }
    }
  }
}

resource "aws_glue_catalog_database" "stats" {
  count       = local.create_store ? 1 : 0
  name        = var.stats_database_name
  description = "pytest-bfd-locust run records"
  lifecycle {
    prevent_destroy = true
  }
}

# Defined here, not by a crawler, so the first record is a baseline at once; the columns are the
# template's StatsTable (the cross-check compares them).
resource "aws_glue_catalog_table" "stats" {
  count         = local.create_store ? 1 : 0
  name          = var.stats_table_name
  database_name = aws_glue_catalog_database.stats[0].name
  description   = "One row per run record (<timestamp>-<run_id>.stats.json), partitioned by the record hash"
  table_type    = "EXTERNAL_TABLE"
  parameters = {
    classification = "json"
  }
  partition_keys {
    name = "hash"
    type = "string"
  }
  storage_descriptor {
    location      = "s3://${var.stats_bucket_name}/${local.table_prefix}"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    parameters = {
      classification = "json"
    }
    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        paths = "errors,histograms,host,inconclusive,metadata,run_id,suite,tasks,totals"
      }
    }
    columns {
      name = "metadata"
      type = "struct<timestamp:bigint,tags:array<string>,environment:string,stats_reset_after_spawn:boolean,num_total_users:bigint,num_users_per_second:double,requested_runtime:bigint,total_runtime:double,user_classes:array<string>,hash:string,compare_result:string,validation_result:string>"
    }
    columns {
      name = "totals"
      type = "struct<task_name:string,request_method:string,num_requests:bigint,num_failures:bigint,median_response_time:bigint,average_response_time:double,min_response_time:bigint,max_response_time:bigint,total_reqs_per_second:double,total_fails_per_sec:double,response_time_percentiles:struct<0.5:bigint,0.66:bigint,0.75:bigint,0.8:bigint,0.9:bigint,0.95:bigint,0.98:bigint,0.99:bigint,0.999:bigint,0.9999:bigint,1.0:bigint>>"
    }
    columns {
      name = "tasks"
      type = "array<struct<task_name:string,request_method:string,num_requests:bigint,num_failures:bigint,median_response_time:bigint,average_response_time:double,min_response_time:bigint,max_response_time:bigint,total_reqs_per_second:double,total_fails_per_sec:double,response_time_percentiles:struct<0.5:bigint,0.66:bigint,0.75:bigint,0.8:bigint,0.9:bigint,0.95:bigint,0.98:bigint,0.99:bigint,0.999:bigint,0.9999:bigint,1.0:bigint>>>"
    }
    columns {
      name = "run_id"
      type = "string"
    }
    columns {
      name = "suite"
      type = "string"
    }
    columns {
      name = "host"
      type = "string"
    }
    columns {
      name = "histograms"
      type = "array<struct<task_name:string,request_method:string,response_times:array<array<bigint>>>>"
    }
    columns {
      name = "errors"
      type = "array<struct<task_name:string,request_method:string,error:string,occurrences:bigint>>"
    }
    columns {
      name = "inconclusive"
      type = "string"
    }
  }
  lifecycle {
    prevent_destroy = true
  }
}
