# The template's Outputs, snake_case.

output "run_locust_function_name" {
  description = "The function to invoke with the run-locust payload"
  value       = aws_lambda_function.run_locust.function_name
}

output "run_locust_log_group_name" {
  description = "Where each invocation's log (and the suites' reports) go"
  value       = aws_cloudwatch_log_group.run_locust.name
}

output "partition_function_arn" {
  description = "Target of the stats bucket's ObjectCreated notification"
  value       = aws_lambda_function.partition.arn
}

output "stats_bucket" {
  value = var.stats_bucket_name
}

output "stats_work_group" {
  value = var.stats_bucket_name
}

output "stats_database" {
  value = var.stats_database_name
}

output "stats_table" {
  value = var.stats_table_name
}

output "store_uri" {
  description = "The --bfd-store URI for running the same suites with pytest from CI or a laptop"
  value       = "s3://${var.stats_bucket_name}?database=${var.stats_database_name}&table=${var.stats_table_name}&workgroup=${var.stats_bucket_name}&region=${local.region}"
}

output "secrets_path" {
  description = "Put the four SecureString parameters under this path"
  value       = "/bfd/${var.environment}/locust/sensitive/"
}

output "run_locust_security_group_id" {
  description = "run-locust's security group (bfd-<env>-locust-run-locust-sg); null outside a VPC"
  value       = local.in_vpc ? aws_security_group.run_locust[0].id : null
}
