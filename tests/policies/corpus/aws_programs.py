"""AWS corpus programs (written from CIS AWS Foundations, AWS FSBP, Checkov CKV_AWS_* and awsguard checks)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from corpus.program import Program

VPC_ID = "vpc-0a1b2c3d"
SUBNETS = ["subnet-0aa11", "subnet-0bb22"]


def _public_bucket_acl() -> None:
    bucket = aws.s3.Bucket("assets")
    aws.s3.BucketAcl("assets-acl", bucket=bucket.id, acl="public-read")


def _bucket_policy_from_outputs() -> None:
    bucket = aws.s3.Bucket("downloads")
    aws.s3.BucketPolicy(
        "downloads-policy",
        bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}],
                }
            )
        ),
    )


def _sg(name: str, port: int, cidrs: list[str] | None = None, ipv6: list[str] | None = None) -> None:
    aws.ec2.SecurityGroup(
        name,
        vpc_id=VPC_ID,
        ingress=[
            {"protocol": "tcp", "from_port": port, "to_port": port, "cidr_blocks": cidrs or [], "ipv6_cidr_blocks": ipv6 or []}
        ],
    )


def _redis_ingress_rule() -> None:
    group = aws.ec2.SecurityGroup("cache", vpc_id=VPC_ID)
    aws.vpc.SecurityGroupIngressRule(
        "cache-in", security_group_id=group.id, ip_protocol="tcp", from_port=6379, to_port=6379, cidr_ipv4="0.0.0.0/0"
    )


def _db(name: str, **overrides: object) -> None:
    settings: dict[str, object] = {
        "engine": "postgres",
        "instance_class": "db.t4g.micro",
        "allocated_storage": 20,
        "username": "app",
        "manage_master_user_password": True,
        "storage_encrypted": True,
        "backup_retention_period": 14,
        "deletion_protection": True,
        "db_subnet_group_name": "private",
    }
    settings.update(overrides)
    aws.rds.Instance(name, **settings)  # type: ignore[arg-type]


def _efs_plain() -> None:
    aws.efs.FileSystem("shared", encrypted=False)


def _sqs_sse_off() -> None:
    aws.sqs.Queue("orders", sqs_managed_sse_enabled=False, visibility_timeout_seconds=60)


def _sns_plain() -> None:
    aws.sns.Topic("alerts")


def _opensearch(name: str, **settings: object) -> None:
    base: dict[str, object] = {
        "engine_version": "OpenSearch_2.13",
        "cluster_config": {"instance_type": "t3.small.search"},
        "ebs_options": {"ebs_enabled": True, "volume_size": 10},
        "encrypt_at_rest": {"enabled": True},
        "node_to_node_encryption": {"enabled": True},
        "domain_endpoint_options": {"enforce_https": True, "tls_security_policy": "Policy-Min-TLS-1-2-2019-07"},
        "vpc_options": {"subnet_ids": SUBNETS[:1], "security_group_ids": ["sg-0search"]},
    }
    base.update(settings)
    aws.opensearch.Domain(name, **base)  # type: ignore[arg-type]


def _redshift(name: str, **settings: object) -> None:
    base: dict[str, object] = {
        "cluster_identifier": name,
        "node_type": "ra3.xlplus",
        "master_username": "admin",
        "manage_master_password": True,
        "encrypted": True,
        "publicly_accessible": False,
    }
    base.update(settings)
    cluster = aws.redshift.Cluster(name, **base)  # type: ignore[arg-type]
    aws.redshift.Logging(
        f"{name}-audit",
        cluster_identifier=cluster.cluster_identifier,
        log_destination_type="cloudwatch",
        log_exports=["connectionlog", "userlog"],
    )


def _cache(name: str, **settings: object) -> None:
    base: dict[str, object] = {
        "description": "sessions",
        "engine": "redis",
        "node_type": "cache.t4g.micro",
        "num_cache_clusters": 2,
        "at_rest_encryption_enabled": True,
        "transit_encryption_enabled": True,
        "auth_token": pulumi.Output.secret("from-config-secret-0123456789"),
    }
    base.update(settings)
    aws.elasticache.ReplicationGroup(name, **base)  # type: ignore[arg-type]


def _trail(name: str, **settings: object) -> None:
    key = aws.kms.Key(f"{name}-key", enable_key_rotation=True)
    base: dict[str, object] = {
        "s3_bucket_name": "org-audit-logs",
        "enable_log_file_validation": True,
        "is_multi_region_trail": True,
        "include_global_service_events": True,
        "kms_key_id": key.arn,
    }
    base.update(settings)
    aws.cloudtrail.Trail(name, **base)  # type: ignore[arg-type]


def _eks(name: str, vpc: dict[str, object], encrypted: bool = True) -> None:
    key = aws.kms.Key(f"{name}-key", enable_key_rotation=True)
    aws.eks.Cluster(
        name,
        role_arn="arn:aws:iam::123456789012:role/eks-cluster",
        vpc_config={"subnet_ids": SUBNETS, **vpc},
        encryption_config={"resources": ["secrets"], "provider": {"key_arn": key.arn}} if encrypted else None,
        enabled_cluster_log_types=["api", "audit", "authenticator"],
    )


def _public_subnet() -> None:
    aws.ec2.Subnet("public-a", vpc_id=VPC_ID, cidr_block="10.0.0.0/24", map_public_ip_on_launch=True)


def _user_inline_policy() -> None:
    user = aws.iam.User("deployer")
    aws.iam.UserPolicy(
        "deployer-s3",
        user=user.name,
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::site/*"}],
            }
        ),
    )


def _access_key() -> None:
    user = aws.iam.User("ci-bot")
    aws.iam.AccessKey("ci-bot-key", user=user.name)


def _admin_role_policy() -> None:
    role = aws.iam.Role(
        "ops",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    aws.iam.RolePolicy(
        "ops-all",
        role=role.id,
        policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": "*"}]}),
    )


def _task(name: str, container: dict[str, object]) -> None:
    repo_url = "ghcr.io/rollway/billing:2.3.1"
    definition = {"name": "app", "image": repo_url, "essential": True, "portMappings": [{"containerPort": 8080}], **container}
    aws.ecs.TaskDefinition(
        name,
        family=name,
        cpu="256",
        memory="512",
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        container_definitions=json.dumps([definition]),
    )


def _task_image_from_repository() -> None:
    # The image comes from another resource's output: unknown during preview, the usual Pulumi pattern.
    repository = aws.ecr.Repository(
        "miner", image_tag_mutability="IMMUTABLE", image_scanning_configuration={"scan_on_push": True}
    )
    aws.ecs.TaskDefinition(
        "miner",
        family="miner",
        cpu="256",
        memory="512",
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        container_definitions=repository.repository_url.apply(
            lambda url: json.dumps([{"name": "app", "image": f"{url}:1.0", "privileged": True, "essential": True}])
        ),
    )


def _http_listener() -> None:
    lb = aws.lb.LoadBalancer("shop", load_balancer_type="application", subnets=SUBNETS, drop_invalid_header_fields=True)
    group = aws.lb.TargetGroup("shop", port=8080, protocol="HTTP", vpc_id=VPC_ID, target_type="ip")
    aws.lb.Listener(
        "shop-http",
        load_balancer_arn=lb.arn,
        port=80,
        protocol="HTTP",
        default_actions=[{"type": "forward", "target_group_arn": group.arn}],
    )


def _imdsv1() -> None:
    aws.ec2.Instance(
        "bastion",
        ami="ami-0abcdef1234567890",
        instance_type="t3.micro",
        metadata_options={"http_tokens": "optional"},
        root_block_device={"encrypted": True},
    )


def _lambda_with_key() -> None:
    aws.lambda_.Function(
        "sync",
        runtime="python3.12",
        handler="app.handler",
        role="arn:aws:iam::123456789012:role/sync",
        code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(e, c): return 1")}),
        environment={
            "variables": {
                "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            }
        },
    )


def _dynamodb(name: str, pitr: bool) -> None:
    aws.dynamodb.Table(
        name,
        billing_mode="PAY_PER_REQUEST",
        hash_key="id",
        attributes=[{"name": "id", "type": "S"}],
        point_in_time_recovery={"enabled": pitr},
        server_side_encryption={"enabled": True},
        tags={"environment": "prod"},
    )


def _alb_no_access_logs() -> None:
    aws.lb.LoadBalancer("api", load_balancer_type="application", internal=True, subnets=SUBNETS, drop_invalid_header_fields=True)


def _private_bucket() -> None:
    logs = aws.s3.Bucket("access-logs")
    bucket = aws.s3.Bucket("reports")
    for name, target in (("reports", bucket), ("access-logs", logs)):
        aws.s3.BucketPublicAccessBlock(
            f"{name}-block",
            bucket=target.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse", bucket=target.id, rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}]
        )
    aws.s3.BucketLogging("reports-logging", bucket=bucket.id, target_bucket=logs.id, target_prefix="reports/")


def _encrypted_messaging() -> None:
    key = aws.kms.Key("messaging", enable_key_rotation=True)
    aws.sqs.Queue("jobs", kms_master_key_id=key.id)
    aws.sns.Topic("events", kms_master_key_id="alias/aws/sns")


def _app_security_groups() -> None:
    web = aws.ec2.SecurityGroup(
        "web", vpc_id=VPC_ID, ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}]
    )
    aws.ec2.SecurityGroup(
        "db", vpc_id=VPC_ID, ingress=[{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "security_groups": [web.id]}]
    )


PROGRAMS = [
    Program("aws-s3-public-read-acl", True, "CKV_AWS_20 / FSBP S3.2", _public_bucket_acl),
    Program(
        "aws-s3-policy-public-from-outputs", True, "CKV_AWS_70 / awsguard s3-bucket-no-public-read", _bucket_policy_from_outputs
    ),
    Program("aws-sg-ssh-world", True, "CKV_AWS_24 / CIS 5.2", lambda: _sg("admin", 22, ["0.0.0.0/0"])),
    Program("aws-sg-postgres-world", True, "CKV_AWS_260-family / FSBP EC2.19", lambda: _sg("pg", 5432, ["0.0.0.0/0"])),
    Program("aws-sg-mongo-ipv6-world", True, "FSBP EC2.19", lambda: _sg("mongo", 27017, None, ["::/0"])),
    Program("aws-vpc-rule-redis-world", True, "FSBP EC2.19", _redis_ingress_rule),
    Program("aws-sg-elasticsearch-world", True, "FSBP EC2.19", lambda: _sg("search", 9200, ["0.0.0.0/0"])),
    Program("aws-rds-public", True, "CKV_AWS_17 / FSBP RDS.2", lambda: _db("orders-db", publicly_accessible=True)),
    Program("aws-rds-unencrypted", True, "CKV_AWS_16 / FSBP RDS.3", lambda: _db("ledger-db", storage_encrypted=False)),
    Program("aws-efs-unencrypted", True, "CKV_AWS_42 / FSBP EFS.1", _efs_plain),
    Program("aws-sqs-sse-off", True, "CKV_AWS_27 / FSBP SQS.1", _sqs_sse_off),
    Program("aws-sns-unencrypted", True, "CKV_AWS_26 / FSBP SNS.1", _sns_plain),
    Program(
        "aws-opensearch-unencrypted",
        True,
        "CKV_AWS_5 / FSBP Opensearch.1",
        lambda: _opensearch("logs", encrypt_at_rest={"enabled": False}),
    ),
    Program(
        "aws-opensearch-plain-http",
        True,
        "CKV_AWS_83 CKV_AWS_6 / FSBP Opensearch.3 .8",
        lambda: _opensearch(
            "search", domain_endpoint_options={"enforce_https": False}, node_to_node_encryption={"enabled": False}
        ),
    ),
    Program(
        "aws-opensearch-public-policy",
        True,
        "CKV_AWS_248 / FSBP Opensearch.2",
        lambda: _opensearch(
            "catalog",
            vpc_options=None,
            access_policies=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*", "Resource": "*"}],
                }
            ),
        ),
    ),
    Program(
        "aws-redshift-public", True, "CKV_AWS_87 / FSBP Redshift.1", lambda: _redshift("warehouse", publicly_accessible=True)
    ),
    Program("aws-redshift-unencrypted", True, "CKV_AWS_64", lambda: _redshift("marts", encrypted=False)),
    Program(
        "aws-elasticache-no-tls",
        True,
        "CKV_AWS_30 / FSBP ElastiCache.5",
        lambda: _cache("sessions", transit_encryption_enabled=False, auth_token=None),
    ),
    Program("aws-elasticache-no-auth", True, "CKV_AWS_31 / FSBP ElastiCache.6", lambda: _cache("carts", auth_token=None)),
    Program(
        "aws-cloudtrail-no-validation", True, "CKV_AWS_36 / CIS 3.2", lambda: _trail("org", enable_log_file_validation=False)
    ),
    Program("aws-cloudtrail-single-region", True, "CKV_AWS_67 / CIS 3.1", lambda: _trail("main", is_multi_region_trail=False)),
    Program("aws-cloudtrail-no-kms", True, "CKV_AWS_35 / CIS 3.7", lambda: _trail("plain", kms_key_id=None)),
    Program(
        "aws-eks-public-endpoint",
        True,
        "CKV_AWS_38 CKV_AWS_39 / FSBP EKS.1",
        lambda: _eks("platform", {"endpoint_public_access": True}),
    ),
    Program(
        "aws-eks-no-secrets-encryption",
        True,
        "CKV_AWS_58 / FSBP EKS.3",
        lambda: _eks("batch", {"endpoint_public_access": False, "endpoint_private_access": True}, encrypted=False),
    ),
    Program("aws-subnet-auto-public-ip", True, "CKV_AWS_130 / FSBP EC2.15", _public_subnet),
    Program("aws-iam-user-inline-policy", True, "CKV_AWS_40 / FSBP IAM.2 / CIS 1.15", _user_inline_policy),
    Program("aws-iam-access-key", True, "CIS 1.4 / awsguard iam-user-no-access-keys", _access_key),
    Program("aws-iam-admin-policy", True, "CKV_AWS_62 / FSBP IAM.1", _admin_role_policy),
    Program("aws-ecs-privileged", True, "CKV_AWS_97-family / FSBP ECS.4", lambda: _task("agent", {"privileged": True})),
    Program("aws-ecs-privileged-image-from-output", True, "FSBP ECS.4 (task built from outputs)", _task_image_from_repository),
    Program(
        "aws-ecs-untrusted-registry",
        True,
        "registry allow-list (configured)",
        lambda: _task("miner", {"image": "docker.io/randomuser/miner:latest"}),
    ),
    Program(
        "aws-ecs-secret-in-environment",
        True,
        "CKV_AWS_45-family / FSBP ECS.8",
        lambda: _task("billing", {"environment": [{"name": "STRIPE_API_KEY", "value": "sk_live_51HxExampleExampleExample00"}]}),
    ),
    Program("aws-alb-http-forward", True, "CKV_AWS_2 / FSBP ELB.1", _http_listener),
    Program("aws-ec2-imdsv1", True, "CKV_AWS_79 / FSBP EC2.8", _imdsv1),
    Program("aws-lambda-access-key-in-env", True, "CKV_AWS_45 / secrets", _lambda_with_key),
    Program(
        "aws-dynamodb-no-pitr-prod",
        True,
        "CKV_AWS_28 / FSBP DynamoDB.2",
        lambda: _dynamodb("sessions", pitr=False),
        environment="prod",
    ),
    Program(
        "aws-rds-no-deletion-protection-prod",
        True,
        "CKV_AWS_293 / FSBP RDS.8",
        lambda: _db("billing-db", deletion_protection=False),
        environment="prod",
    ),
    Program(
        "aws-rds-no-backups-prod",
        True,
        "CKV_AWS_133 / FSBP RDS.11",
        lambda: _db("audit-db", backup_retention_period=0),
        environment="prod",
    ),
    Program("aws-alb-no-access-logs-prod", True, "CKV_AWS_91 / FSBP ELB.5", _alb_no_access_logs, environment="prod"),
    Program("aws-compliant-private-bucket", False, "CKV_AWS_18 CKV_AWS_19 CKV2_AWS_6", _private_bucket),
    Program("aws-compliant-rds-prod", False, "FSBP RDS.*", lambda: _db("accounts-db", multi_az=True), environment="prod"),
    Program("aws-compliant-messaging", False, "FSBP SQS.1 SNS.1", _encrypted_messaging),
    Program(
        "aws-compliant-eks-private",
        False,
        "FSBP EKS.1 EKS.3",
        lambda: _eks("private", {"endpoint_public_access": False, "endpoint_private_access": True}),
    ),
    Program("aws-compliant-opensearch-vpc", False, "FSBP Opensearch.*", lambda: _opensearch("vpc-search")),
    Program("aws-compliant-security-groups", False, "CIS 5.2 / FSBP EC2.19", _app_security_groups),
    Program("aws-compliant-cloudtrail", False, "CIS 3.1 3.2 3.7", lambda: _trail("audit")),
    Program("aws-compliant-elasticache", False, "FSBP ElastiCache.*", lambda: _cache("tokens")),
    Program("aws-compliant-redshift", False, "FSBP Redshift.*", lambda: _redshift("reporting")),
    Program("aws-compliant-dynamodb-prod", False, "FSBP DynamoDB.2", lambda: _dynamodb("orders", pitr=True), environment="prod"),
]
