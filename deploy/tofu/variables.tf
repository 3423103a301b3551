# The template's parameters, snake_case (Environment -> environment, CodeS3Bucket -> code_s3_bucket),
# with the same defaults; lists and booleans are HCL's own types.

variable "environment" {
  type        = string
  description = "BFD_ENVIRONMENT: part of every name (bfd-<env>-locust-...), of the SSM path /bfd/<env>/locust/sensitive/ and of the records' hash."
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,23}$", var.environment))
    error_message = "environment: lowercase letters, digits and '-', at most 24 characters."
  }
}

variable "package_type" {
  type        = string
  description = "Zip (the zip of python -m deploy.package in code_s3_bucket/code_s3_key) or Image (deploy/lambda-image/Dockerfile's image at image_uri)."
  default     = "Zip"
  validation {
    condition     = contains(["Zip", "Image"], var.package_type)
    error_message = "package_type: Zip or Image."
  }
}

variable "code_s3_bucket" {
  type        = string
  description = "Bucket of the deployment zip (Zip only)."
  default     = ""
}

variable "code_s3_key" {
  type        = string
  description = "Key of the deployment zip (Zip only)."
  default     = ""
}

variable "image_uri" {
  type        = string
  description = "The run-locust image (Image only): ACCOUNT.dkr.ecr.REGION.amazonaws.com/bfd-platform-run-locust:VERSION, the seed's run_locust_repository_override and run_locust_version_override in one."
  default     = ""
}

variable "runtime" {
  type        = string
  description = "Lambda runtime (Zip); must match the zip's --python."
  default     = "python3.12"
  validation {
    condition     = contains(["python3.11", "python3.12"], var.runtime)
    error_message = "runtime: python3.11 or python3.12."
  }
}

variable "architecture" {
  type        = string
  description = "x86_64 or arm64; must match the zip's --platform or the image's."
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture: x86_64 or arm64."
  }
}

variable "stats_bucket_name" {
  type        = string
  description = "The stats bucket (STATS_BUCKET_ID), also the Athena workgroup's name; the seed's is bfd-<env>-locust-stats."
}

variable "stats_database_name" {
  type        = string
  description = "The Glue database of the records (STATS_ATHENA_DATABASE); the seed's is bfd_<env>_locust_stats."
}

variable "stats_table_name" {
  type        = string
  description = "The Glue table of the records (STATS_ATHENA_TABLE); the seed's crawler named it data."
  default     = "data"
}

variable "create_stats_store" {
  type        = bool
  description = "true creates bucket, workgroup, Glue database and table; false uses the existing ones under the names above (the seed's, with their history)."
  default     = true
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed key of the SSM parameters, the bucket, the query results and the log groups. Empty: SSE-S3 and AWS-managed keys."
  default     = ""
}

variable "query_results_retention_days" {
  type        = number
  description = "Days Athena query results are kept under query_results/."
  default     = 30
}

variable "reader_endpoint" {
  type        = string
  description = "Database reader host handed to the suites (READER_ENDPOINT)."
}

variable "memory_size" {
  type        = number
  description = "MB for run-locust: 1024 at least, 2048 for a few hundred users."
  default     = 2048
}

variable "timeout" {
  type        = number
  description = "Seconds; at least users / spawn_rate + spawned_runtime + 60 of the longest run."
  default     = 900
}

variable "log_retention_days" {
  type        = number
  description = "Days the functions' logs are kept."
  default     = 90
}

variable "vpc_id" {
  type        = string
  description = "The VPC run-locust runs in; the module creates bfd-<env>-locust-run-locust-sg there. Empty: outside any VPC."
  default     = ""
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets for run-locust (the seed's app subnets); needed with vpc_id."
  default     = []
}

variable "security_group_ids" {
  type        = list(string)
  description = "Further security groups for run-locust besides the one the module creates."
  default     = []
}

variable "egress_cidr" {
  type        = string
  description = "Where run-locust may connect on 443 (the target, S3, Glue, Athena, SSM) and on target_port."
  default     = "0.0.0.0/0"
}

variable "target_port" {
  type        = number
  description = "The target's port, when it is not 443 (a second egress rule)."
  default     = 443
}

variable "database_security_group_id" {
  type        = string
  description = "The database cluster's security group (the seed's data.aws_security_group.aurora_cluster). Given: the seed's ingress rule allow_run_locust on it."
  default     = ""
}

variable "database_port" {
  type        = number
  description = "The database's port."
  default     = 5432
}
