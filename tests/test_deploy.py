"""The AWS deployment: the CloudFormation stack is valid and secure, and the Elastic Beanstalk files
(Procfile, .ebextensions, nginx) agree with the app they run."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from cfnlint.api import ManualArgs, lint
from cfnlint.decode.cfn_yaml import loads as load_cloudformation_yaml
from django.conf import settings
from django.urls import resolve

from deploy import queue_metrics

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "deploy" / "cloudformation" / "healthhelper.yaml"
NGINX_CONF = ROOT / ".platform" / "nginx" / "conf.d" / "elasticbeanstalk" / "00_application.conf"
SECRET_SETTINGS = {
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DEEPGRAM_API_KEY",
    "CARTESIA_API_KEY",
    "CAIRE_API_KEY",
}
# Actions that AWS offers no resource-level permissions for, so they can only be granted on "*".
ACTIONS_WITHOUT_RESOURCE_SCOPE = {"cloudwatch:PutMetricData"}


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The template parsed with cfn-lint's loader, so !Ref / !Sub / !GetAtt become plain dicts."""
    return load_cloudformation_yaml(TEMPLATE_PATH.read_text())


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


def the_one(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (resource,) = resources_of_type(template, resource_type).values()
    return resource["Properties"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, role in resources_of_type(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            yield f"{name}/{policy['PolicyName']}", policy["PolicyDocument"]
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, policy in resources_of_type(template, kind).items():
            yield name, policy["Properties"]["PolicyDocument"]


def statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, document in policy_documents(template):
        for statement in document["Statement"]:
            if "Fn::If" in statement:  # a conditional statement: check the branch that is a statement
                statement = statement["Fn::If"][1]
            yield name, statement


def instance_role_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for name, s in statements(template) if name.startswith("InstanceRole/")]


def statements_granting(template: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in instance_role_statements(template) if action in as_list(s["Action"])]


def environment_options(template: dict[str, Any]) -> dict[tuple[str, str], Any]:
    options = the_one(template, "AWS::ElasticBeanstalk::Environment")["OptionSettings"]
    return {(o["Namespace"], o["OptionName"]): o["Value"] for o in options}


def ebextension(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".ebextensions" / name).read_text())


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


# --------------------------------------------------------------------------- the linter
def test_cloudformation_template_passes_cfn_lint_in_two_regions() -> None:
    matches = lint(TEMPLATE_PATH.read_text(), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    errors = [str(match) for match in matches if match.rule.severity == "error"]
    assert errors == []


# --------------------------------------------------------------------------- data stores
def test_database_is_multi_az_encrypted_private_and_protected(template: dict[str, Any]) -> None:
    database = the_one(template, "AWS::RDS::DBInstance")
    assert database["MultiAZ"] is True
    assert database["StorageEncrypted"] is True
    assert database["PubliclyAccessible"] is False
    assert database["DeletionProtection"] is True
    assert database["BackupRetentionPeriod"] == {"Ref": "DbBackupRetentionDays"}
    retention = template["Parameters"]["DbBackupRetentionDays"]
    assert retention["MinValue"] >= 7 and retention["Default"] >= 7
    assert template["Resources"]["Database"]["DeletionPolicy"] == "Snapshot"


def test_database_password_comes_from_secrets_manager(template: dict[str, Any]) -> None:
    database = the_one(template, "AWS::RDS::DBInstance")
    password = database.get("MasterUserPassword", {}).get("Fn::Sub", "")
    assert password.startswith("{{resolve:secretsmanager:") or database.get("ManageMasterUserPassword") is True


def test_every_bucket_blocks_public_access_encrypts_and_refuses_plain_http(template: dict[str, Any]) -> None:
    policies = {
        p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
    }
    for name, bucket in resources_of_type(template, "AWS::S3::Bucket").items():
        properties = bucket["Properties"]
        assert all(properties["PublicAccessBlockConfiguration"].values()), name
        assert len(properties["PublicAccessBlockConfiguration"]) == 4, name
        (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"aws:kms", "AES256"}, name
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}, name
        tls_only = {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        assert any(tls_only.items() <= s.items() for s in policies[name]["Statement"]), name


def test_reports_bucket_uses_kms_and_never_expires_current_reports(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["ReportsBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert any("NoncurrentVersionExpiration" in r for r in rules)
    assert any("AbortIncompleteMultipartUpload" in r for r in rules)
    assert not any("ExpirationInDays" in r or "ExpirationDate" in r for r in rules)


def test_redis_fails_over_automatically_and_encrypts_at_rest_and_in_transit(template: dict[str, Any]) -> None:
    redis = the_one(template, "AWS::ElastiCache::ReplicationGroup")
    assert redis["AutomaticFailoverEnabled"] is True
    assert redis["MultiAZEnabled"] is True
    assert redis["NumCacheClusters"] >= 2
    assert redis["AtRestEncryptionEnabled"] is True
    assert redis["TransitEncryptionEnabled"] is True
    assert redis["AuthToken"]["Fn::Sub"].startswith("{{resolve:secretsmanager:")


def test_app_secret_holds_every_secret_setting_and_the_environment_none(template: dict[str, Any]) -> None:
    secret_json = template["Resources"]["AppSecret"]["Properties"]["SecretString"]["Fn::Sub"][0]
    assert set(re.findall(r'"([A-Z_]+)":', secret_json)) == SECRET_SETTINGS
    plain_variables = {
        name
        for namespace, name in environment_options(template)
        if namespace == "aws:elasticbeanstalk:application:environment"
    }
    assert plain_variables.isdisjoint(SECRET_SETTINGS)
    assert environment_options(template)[
        ("aws:elasticbeanstalk:application:environment", "AWS_SECRETS_MANAGER_SECRET_ID")
    ] == {"Ref": "AppSecret"}


def test_redis_urls_use_tls(template: dict[str, Any]) -> None:
    secret_json = template["Resources"]["AppSecret"]["Properties"]["SecretString"]["Fn::Sub"][0]
    assert '"REDIS_URL": "rediss://' in secret_json
    assert '"CELERY_BROKER_URL": "rediss://' in secret_json
    assert "sslmode=require" in secret_json


# --------------------------------------------------------------------------- the edge
def test_waf_web_acl_with_aws_managed_rules_is_attached_to_the_load_balancer(template: dict[str, Any]) -> None:
    association = the_one(template, "AWS::WAFv2::WebACLAssociation")
    assert association["ResourceArn"] == {"Ref": "LoadBalancer"}
    assert association["WebACLArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    rules = template["Resources"]["WebAcl"]["Properties"]["Rules"]
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in rules
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed


def test_load_balancer_redirects_http_and_terminates_tls_with_the_certificate(template: dict[str, Any]) -> None:
    listeners = {
        p["Properties"]["Port"]: p["Properties"]
        for p in resources_of_type(template, "AWS::ElasticLoadBalancingV2::Listener").values()
    }
    (redirect,) = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"] == {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    assert listeners[443]["Protocol"] == "HTTPS"
    assert listeners[443]["Certificates"] == [{"CertificateArn": {"Ref": "CertificateArn"}}]


def test_load_balancer_idle_timeout_suits_websockets(template: dict[str, Any]) -> None:
    attributes = {
        a["Key"]: a["Value"]
        for a in the_one(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
    }
    assert attributes["idle_timeout.timeout_seconds"] == "300"


def test_environment_uses_the_stacks_load_balancer_and_two_private_instances(template: dict[str, Any]) -> None:
    options = environment_options(template)
    assert options[("aws:elasticbeanstalk:environment", "LoadBalancerIsShared")] == "true"
    assert options[("aws:elbv2:loadbalancer", "SharedLoadBalancer")] == {"Ref": "LoadBalancer"}
    assert options[("aws:autoscaling:asg", "MinSize")] == {"Ref": "MinInstances"}
    assert template["Parameters"]["MinInstances"]["MinValue"] >= 2
    assert options[("aws:ec2:vpc", "Subnets")] == {
        "Fn::Join": [",", [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]]
    }
    assert options[("aws:ec2:vpc", "AssociatePublicIpAddress")] == "false"


# --------------------------------------------------------------------------- network
def test_data_tier_accepts_connections_only_from_the_app_instances(template: dict[str, Any]) -> None:
    for name, port in (("DatabaseSecurityGroup", 5432), ("CacheSecurityGroup", 6379)):
        (ingress,) = template["Resources"][name]["Properties"]["SecurityGroupIngress"]
        assert ingress["SourceSecurityGroupId"] == {"Ref": "AppSecurityGroup"}, name
        assert (ingress["FromPort"], ingress["ToPort"]) == (port, port), name
        assert "CidrIp" not in ingress, name


def test_app_instances_accept_connections_only_from_the_load_balancer(template: dict[str, Any]) -> None:
    assert "SecurityGroupIngress" not in template["Resources"]["AppSecurityGroup"]["Properties"]
    (ingress,) = [
        r["Properties"]
        for r in resources_of_type(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Ref": "AppSecurityGroup"}
    ]
    assert ingress["SourceSecurityGroupId"] == {"Ref": "LoadBalancerSecurityGroup"}


def test_only_the_load_balancer_is_open_to_the_internet(template: dict[str, Any]) -> None:
    for name, group in resources_of_type(template, "AWS::EC2::SecurityGroup").items():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            if rule.get("CidrIp") == "0.0.0.0/0":
                assert name == "LoadBalancerSecurityGroup" and rule["FromPort"] in {80, 443}


# --------------------------------------------------------------------------- IAM
def test_iam_policies_grant_no_wildcard_actions(template: dict[str, Any]) -> None:
    for name, statement in statements(template):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), f"{name}: {action}"


def test_iam_policies_use_resource_star_only_where_aws_requires_it(template: dict[str, Any]) -> None:
    for name, statement in statements(template):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= ACTIONS_WITHOUT_RESOURCE_SCOPE, name
            assert statement.get("Condition"), f"{name}: Resource '*' must be narrowed by a condition"


def test_instance_role_reads_only_the_app_settings_secret(template: dict[str, Any]) -> None:
    (statement,) = statements_granting(template, "secretsmanager:GetSecretValue")
    assert statement["Resource"] == {"Ref": "AppSecret"}


def test_instance_role_touches_only_report_keys_in_the_reports_bucket(template: dict[str, Any]) -> None:
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        app_statements = [s for s in statements_granting(template, action) if "ReportsBucket" in str(s["Resource"])]
        assert [s["Resource"] for s in app_statements] == [{"Fn::Sub": "${ReportsBucket.Arn}/${ReportsKeyPrefix}/*"}]


def test_report_keys_the_app_writes_fall_under_the_granted_prefix(template: dict[str, Any]) -> None:
    from reports.models import report_storage_key

    key = report_storage_key(SimpleNamespace(patient_id=7, kind="pdf"), "blood test.pdf")
    assert key.startswith(template["Parameters"]["ReportsKeyPrefix"]["Default"] + "/")


def test_instance_role_invokes_only_the_configured_bedrock_model(template: dict[str, Any]) -> None:
    (invoke,) = statements_granting(template, "bedrock:InvokeModelWithResponseStream")
    assert "bedrock:InvokeModel" in invoke["Action"]
    with_profile, without_profile = invoke["Resource"]["Fn::If"][1:]
    for arn in [*with_profile, *without_profile]:
        assert re.search(r"/\$\{Bedrock(ModelId|InferenceProfileId)\}$", arn["Fn::Sub"])
    (retrieve,) = statements_granting(template, "bedrock:Retrieve")
    assert retrieve["Resource"]["Fn::Sub"].endswith(":knowledge-base/${BedrockKnowledgeBaseId}")


# --------------------------------------------------------------------------- alarms
def test_alarms_watch_errors_hosts_database_redis_and_the_task_queue(template: dict[str, Any]) -> None:
    watched = set()
    for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        metrics = [properties] + [m["MetricStat"]["Metric"] for m in properties.get("Metrics", []) if "MetricStat" in m]
        watched |= {(m["Namespace"], m["MetricName"]) for m in metrics if "MetricName" in m}
    assert {
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("AWS/ElasticBeanstalk", "InstancesSevere"),
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeStorageSpace"),
        ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"),
        (queue_metrics.NAMESPACE, queue_metrics.METRIC_NAME),
    } <= watched


def test_queue_depth_alarm_matches_what_the_publisher_sends(template: dict[str, Any]) -> None:
    alarm = template["Resources"]["CeleryQueueDepthAlarm"]["Properties"]
    datum = queue_metrics.metric_datum("healthhelper-prod", "celery", 3)
    assert (alarm["Namespace"], alarm["MetricName"]) == (queue_metrics.NAMESPACE, datum["MetricName"])
    assert [d["Name"] for d in alarm["Dimensions"]] == [d["Name"] for d in datum["Dimensions"]]
    assert environment_options(template)[("aws:elasticbeanstalk:application:environment", "EB_ENVIRONMENT_NAME")] == {
        "Ref": "EnvironmentName"
    }
    unhealthy_metric = "InstancesSevere"
    assert (
        unhealthy_metric
        in ebextension("02_health.config")["option_settings"]["aws:elasticbeanstalk:healthreporting:system"][
            "ConfigDocument"
        ]
    )


def test_queue_depth_is_the_length_of_the_broker_list() -> None:
    class FakeRedis:
        def llen(self, name: str) -> int:
            return {"celery": 12}.get(name, 0)

    assert queue_metrics.queue_depth(FakeRedis(), "celery") == 12
    assert queue_metrics.metric_datum("healthhelper-prod", "celery", 12) == {
        "MetricName": "CeleryQueueDepth",
        "Dimensions": [{"Name": "Environment", "Value": "healthhelper-prod"}, {"Name": "Queue", "Value": "celery"}],
        "Value": 12.0,
        "Unit": "Count",
    }


def test_queue_metrics_publish_the_reports_queue_and_the_voice_writes_queue() -> None:
    from healthhelper.celery import app

    assert queue_metrics.queues_of(app.conf) == ["celery", "voice_writes"]


# --------------------------------------------------------------------------- Procfile
def test_procfile_web_runs_daphne_on_the_asgi_app_behind_the_proxy() -> None:
    assert procfile()["web"] == "daphne -b 0.0.0.0 -p 8000 --proxy-headers healthhelper.asgi:application"
    assert importlib.util.find_spec("healthhelper.asgi") is not None


def test_procfile_worker_runs_celery_one_task_at_a_time_per_process() -> None:
    worker = procfile()["worker"].split()
    assert worker[:4] == ["celery", "-A", "healthhelper", "worker"]
    assert "-O" in worker and worker[worker.index("-O") + 1] == "fair"
    assert "--prefetch-multiplier=1" in worker
    assert importlib.util.find_spec("healthhelper.celery") is not None


def test_procfile_voice_writes_worker_takes_only_the_voice_queue_at_lower_priority() -> None:
    from django.conf import settings

    command = procfile()["voice_writes"].split()
    assert command[:3] == ["nice", "-n", "10"]
    assert command[3:7] == ["celery", "-A", "healthhelper", "worker"]
    assert command[command.index("-Q") + 1] == settings.VOICE_WRITES_QUEUE
    for task in ("save_voice_events", "save_session_events"):
        assert settings.CELERY_TASK_ROUTES[f"consultations.tasks.{task}"] == {"queue": settings.VOICE_WRITES_QUEUE}


def test_procfile_lists_web_first() -> None:
    assert next(iter(procfile())) == "web"


# --------------------------------------------------------------------------- nginx
def nginx_location(path: str) -> str:
    match = re.search(r"location " + re.escape(path) + r" \{(.*?)\n\}", NGINX_CONF.read_text(), re.S)
    assert match, f"no location {path}"
    return match.group(1)


def number_in(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found"
    return int(match.group(1))


def test_nginx_upgrades_websockets_under_ws() -> None:
    ws = nginx_location("/ws/")
    assert "proxy_http_version 1.1;" in ws
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert 'proxy_set_header Connection "upgrade";' in ws
    assert "proxy_pass http://127.0.0.1:8000;" in ws


def test_nginx_keeps_websockets_open_longer_than_the_load_balancer(template: dict[str, Any]) -> None:
    read_timeout_s = number_in(r"proxy_read_timeout (\d+)s;", nginx_location("/ws/"))
    attributes = the_one(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
    idle_timeout_s = int(next(a["Value"] for a in attributes if a["Key"] == "idle_timeout.timeout_seconds"))
    assert read_timeout_s >= idle_timeout_s


def test_nginx_accepts_the_largest_report_upload() -> None:
    limit_mb = number_in(r"client_max_body_size (\d+)M;", NGINX_CONF.read_text())
    assert limit_mb * 1024 * 1024 > settings.REPORT_MAX_UPLOAD_BYTES


def test_nginx_passes_the_real_client_address_not_a_forgeable_one() -> None:
    for path in ("/", "/ws/"):
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx_location(path)
    assert "real_ip_header X-Forwarded-For;" in NGINX_CONF.read_text()


# --------------------------------------------------------------------------- .ebextensions
def test_ebextensions_health_check_hits_the_healthz_view() -> None:
    process = ebextension("02_health.config")["option_settings"]["aws:elasticbeanstalk:environment:process:default"]
    assert process["HealthCheckPath"] == "/healthz"
    assert resolve(process["HealthCheckPath"]).url_name == "healthz"
    health = ebextension("02_health.config")["option_settings"]["aws:elasticbeanstalk:healthreporting:system"]
    assert health["SystemType"] == "enhanced"


def test_ebextensions_run_in_production_mode_and_serve_collected_static_files() -> None:
    options = ebextension("01_environment.config")["option_settings"]
    assert options["aws:elasticbeanstalk:application:environment"]["DJANGO_ENV"] == "production"
    ((url, directory),) = options["aws:elasticbeanstalk:environment:proxy:staticfiles"].items()
    assert url.strip("/") == settings.STATIC_URL.strip("/")
    assert ROOT / directory == Path(settings.STATIC_ROOT)


def test_ebextensions_migrate_once_and_collect_static_everywhere() -> None:
    commands = ebextension("05_release.config")["container_commands"]
    migrate = next(c for c in commands.values() if "manage.py migrate" in c["command"])
    collectstatic = next(c for c in commands.values() if "manage.py collectstatic" in c["command"])
    assert migrate["leader_only"] is True
    assert not collectstatic.get("leader_only", False)


def test_ebextensions_stream_logs_to_cloudwatch() -> None:
    options = ebextension("03_logging.config")["option_settings"]
    assert options["aws:elasticbeanstalk:cloudwatch:logs"]["StreamLogs"] == "true"
    assert options["aws:elasticbeanstalk:cloudwatch:logs:health"]["HealthStreamingEnabled"] == "true"


def test_ebignore_never_ships_local_secrets_or_data() -> None:
    ignored = (ROOT / ".ebignore").read_text().splitlines()
    assert {".env", "/db.sqlite3", "/media/", "/var/", ".venv/"} <= set(ignored)
