# The seed's network access: run-locust's own security group in the VPC and the rule on the
# database cluster's group that lets it in (CloudFormation's RunLocustSecurityGroup,
# RunLocustTargetEgress, RunLocustDatabaseEgress, DatabaseIngressFromRunLocust). A group this
# module manages has no allow-all egress: only the rules below.

resource "aws_security_group" "run_locust" {
  count       = local.in_vpc ? 1 : 0
  name        = "${local.run_locust_name}-sg"
  description = "${local.run_locust_name} Lambda security group in ${var.environment}"
  vpc_id      = var.vpc_id
  tags = {
    Name = "${local.run_locust_name}-sg"
  }
}

resource "aws_vpc_security_group_egress_rule" "run_locust_https" {
  count             = local.in_vpc ? 1 : 0
  security_group_id = aws_security_group.run_locust[0].id
  description       = "HTTPS to the target and to S3, Glue, Athena and SSM"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.egress_cidr
}

resource "aws_vpc_security_group_egress_rule" "run_locust_target" {
  count             = local.target_not_on_https ? 1 : 0
  security_group_id = aws_security_group.run_locust[0].id
  description       = "The target's port"
  ip_protocol       = "tcp"
  from_port         = var.target_port
  to_port           = var.target_port
  cidr_ipv4         = var.egress_cidr
}

resource "aws_vpc_security_group_egress_rule" "run_locust_database" {
  count                        = local.reaches_database ? 1 : 0
  security_group_id            = aws_security_group.run_locust[0].id
  description                  = "The database cluster (READER_ENDPOINT)"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = var.database_security_group_id
}

# The seed's aws_vpc_security_group_ingress_rule.allow_run_locust, under its name.
resource "aws_vpc_security_group_ingress_rule" "allow_run_locust" {
  count                        = local.reaches_database ? 1 : 0
  security_group_id            = var.database_security_group_id
  description                  = "Grants ${local.run_locust_name} Lambda access to the ${var.environment} database"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = aws_security_group.run_locust[0].id
}
