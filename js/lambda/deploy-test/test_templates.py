#!/usr/bin/env python3
"""Tests of the deploy templates (js/lambda/template.yaml, member-account.yaml,
management-account.yaml).

Run: python3 js/lambda/deploy-test/test_templates.py   (what `make test-deploy` does)
Needs cfn-lint >= 1 and moto[server] >= 5 (the Makefile target installs them when missing).

- cfn-lint, informational checks included, reports nothing on any of the three templates.
- Event routing through moto's CloudFormation, EventBridge and SQS (a moto server on 127.0.0.1,
  never real AWS): member-account.yaml is deployed into member and monitoring accounts and
  regions, and template.yaml into monitoring accounts (one per delivery path and queue type),
  less what moto cannot run (what invokes or watches the SAM function, which an SQS queue stands
  in for), so its rules, queue policy, queue and DLQ are the template's own. Every fixture event put on a member account's default bus must land in the monitoring
  stack's queue exactly once; tamper calls too (synthetic events built from a real fixture's
  envelope, see TAMPER_*), and unrelated events nowhere. The queue's redrive moves a message to
  the DLQ after the template's receive count.
  NOTE: moto 5.2.1 answers TestEventPattern with an empty body (not implemented), so the
  patterns are exercised the way EventBridge uses them: PutEvents -> rule -> target.
- The templates' structure: the queue path's wiring, every alarm's actions, least-privilege IAM
  (the management account's role only reads), the parameters behind each setting.
- The function's environment and the handler's process.env reads agree.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAMBDA_DIR = HERE.parent
REPO = LAMBDA_DIR.parent.parent
MONITORING = LAMBDA_DIR / "template.yaml"
MEMBER = LAMBDA_DIR / "member-account.yaml"
MANAGEMENT = LAMBDA_DIR / "management-account.yaml"
FIXTURES = REPO / "tests" / "fixtures" / "events"



def core_sg_calls():
    """The nine calls as the core knows them: the `CALLS` table of src/calls.rs, read here so
    that the templates are checked against the core itself, not against a copy."""
    text = (REPO / "src" / "calls.rs").read_text()
    table = re.search(r"pub const CALLS: \[\(&str, SgCall\); (\d+)\] = \[(.*?)\n\];", text, re.S)
    names = re.findall(r'\("(\w+)", SgCall::\w+\)', table.group(2))
    assert len(names) == int(table.group(1)), "src/calls.rs: CALLS table not read whole"
    return names


SG_EVENT_NAMES = core_sg_calls()
# The handler's configuration contract (design.md, "The Lambda contract" and "Version 2
# contracts"), plus the username/icon overrides of the core's Options that the handler also reads.
HANDLER_ENV = {
    "SLACK_WEBHOOK_SSM_PARAMETER",
    "SLACK_WEBHOOK_SECRET_ID",
    "SLACK_WEBHOOK_URL",
    "SLACK_WEBHOOK_ALLOWED_HOSTS",
    "SLACK_WEBHOOKS_SECRET_ID",
    "SLACK_BOT_TOKEN_SECRET_ID",
    "THREAD_WINDOW_SECONDS",
    "ACCOUNT_NAMES",
    "ACCOUNT_NAMES_SOURCE",
    "ORGANIZATIONS_ROLE_ARN",
    "ACCOUNT_NAMES_SSM_PARAMETER",
    "POLICY",
    "POLICY_SSM_PARAMETER",
    "TIMEZONE",
    "LOCALE",
    "COLOR_SCHEME",
    "SLACK_CHANNEL",
    "SLACK_USERNAME",
    "SLACK_ICON_EMOJI",
    "MAX_MESSAGES_PER_EVENT",
    "SLACK_MAX_PER_SECOND",
    "STATE_TABLE",
    "DEAD_LETTER_QUEUE_URL",
    "DRY_RUN",
}
# Read by the handler but deliberately not stack parameters: tuning whose defaults are sized for
# the Lambda (its timeout and Slack's limits). Each must still be read by the handler, so this
# list cannot go stale silently.
NOT_EXPOSED = {
    "DELIVERY_TIMEOUT_MS",
    "DELIVERY_MAX_ATTEMPTS",
    "DELIVERY_RETRY_BASE_MS",
    "DELIVERY_MAX_WAIT_MS",
    "DELIVERY_SAFETY_MARGIN_MS",
    "SLACK_WEBHOOK_CACHE_SECONDS",
    "ACCOUNT_NAMES_CACHE_SECONDS",
    # Secrets or test endpoints that must not sit in a stack's environment: the template passes
    # the secrets' ids instead (WebhooksSecretArn, SlackBotTokenSecretArn); SLACK_API_URL points
    # the tests at a local Web API.
    "SLACK_WEBHOOKS",
    "SLACK_BOT_TOKEN",
    "SLACK_API_URL",
}
# js/lambda modules that never run in Lambda (the demo and test helpers); every other .mjs there
# is runtime code.
NOT_RUNTIME = {"demo.mjs", "mock-slack.mjs", "fixtures.mjs"}
# The read calls the account-name lookup makes (issue 11), and nothing else.
ORGANIZATIONS_READ = {
    "organizations:ListAccounts",
    "organizations:ListParents",
    "organizations:DescribeOrganizationalUnit",
    "organizations:ListTagsForResource",
    "organizations:DescribeAccount",
}
# Set by the Lambda runtime itself, so the template must not (and need not) provide them.
RUNTIME_ENV = re.compile(r"^(AWS_.*|LAMBDA_.*|_HANDLER|_X_AMZN_TRACE_ID|TZ|NODE_OPTIONS|NODE_PATH|LANG|PATH|LD_LIBRARY_PATH)$")

MONITORING_ACCOUNT, CENTRAL_REGION = "111111111111", "eu-west-1"
MEMBER_ACCOUNT = "222222222222"
OTHER_MONITORING_ACCOUNT = "333333333333"  # a second deployment, with MaximumConcurrency=2
DIRECT_ACCOUNT, SNS_ACCOUNT = "444444444444", "555555555555"  # DeliveryPath=direct, DeliveryPath=sns


def load_template(path):
    """The template as CloudFormation reads it: cfn-lint's loader resolves the YAML short
    forms (!Ref, !Sub, !If, !Condition ...) into their JSON forms; the JSON round trip drops
    cfn-lint's node classes."""
    from cfnlint.decode import decode

    template, matches = decode(str(path))
    if matches:
        raise AssertionError(f"{path}: cannot parse: {matches}")
    return json.loads(json.dumps(template))


def rule_pattern(template, logical_id):
    return template["Resources"][logical_id]["Properties"]["EventPattern"]


# ---- fixtures -----------------------------------------------------------------------------
def envelope(record):
    """A CloudTrail record as EventBridge delivers it (the envelope CloudTrail puts around
    every "AWS API Call via CloudTrail" event)."""
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, record.get("eventID", json.dumps(record)))),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": record.get("recipientAccountId", "123456789012"),
        "time": record.get("eventTime", "2024-01-01T00:00:00Z"),
        "region": record.get("awsRegion", "us-east-1"),
        "resources": [],
        "detail": record,
    }


def fixture_events():
    """(name, EventBridge event) for every fixture. Raw records are wrapped; EventBridge-form
    events are used as published, except streamalert's, whose publisher redacted source and
    detail-type to "...": their real CloudTrail detail is re-wrapped in a proper envelope (and
    the redacted originals are kept apart, see redacted_fixture_events)."""
    events = []
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text())
        for i, event in enumerate(_events_in(data, path)):
            if event.get("source") == "...":
                event = envelope(event["detail"])
                label = f"{path.name} (re-wrapped: source/detail-type redacted by publisher)"
            else:
                label = path.name if i == 0 else f"{path.name}[{i}]"
            events.append((label, event))
    return events


def redacted_fixture_events():
    return [
        (p.name, json.loads(p.read_text()))
        for p in sorted(FIXTURES.glob("*.json"))
        if json.loads(p.read_text()).get("source") == "..."
    ]


def _events_in(data, path):
    if isinstance(data, dict) and "detail-type" in data:
        return [data]
    if isinstance(data, dict) and "eventSource" in data:
        return [envelope(data)]
    if isinstance(data, dict) and isinstance(data.get("Records"), list):
        out = []
        for record in data["Records"]:
            if "Sns" in record:  # an SNS-wrapped Lambda event: the message is the EventBridge event
                out.extend(_events_in(json.loads(record["Sns"]["Message"]), path))
            else:  # a CloudTrail log file
                out.append(envelope(record))
        return out
    raise AssertionError(f"{path.name}: unknown fixture form; teach _events_in about it")


def derived_event(base, **changes):
    """A copy of a real fixture event with some fields changed (for event names no fixture
    has, and for near-miss events that must be rejected)."""
    event = json.loads(json.dumps(base))
    detail_changes = changes.pop("detail", {})
    event.update(changes)
    event["detail"].update(detail_changes)
    event["detail"]["eventID"] = str(uuid.uuid4())
    return event


# ---- moto server --------------------------------------------------------------------------
class MotoServer:
    """moto's server on 127.0.0.1 and a free port, started and stopped by the tests."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w", prefix="sgnotify-moto-", suffix=".log", delete=False)  # noqa: SIM115
        self.clients = {}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto server exited ({self.proc.returncode}); see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto server not ready on {self.endpoint} within 60 s")
                time.sleep(0.2)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()

    def client(self, service, account, region):
        key = (service, account, region)
        if key not in self.clients:
            self.clients[key] = self._new_client(service, account, region)
        return self.clients[key]

    def _new_client(self, service, account, region):
        import boto3
        from botocore.config import Config

        client = boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
        )

        def as_account(request, **_):
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-send.*.*", as_account)
        return client


def mentions(node, logical_id):
    """Whether a template fragment refers to a resource (Ref, GetAtt, or inside a Sub)."""
    text = json.dumps(node)
    return f'"{logical_id}"' in text or f"${{{logical_id}" in text


def branches(stmt):
    """The statements a possibly conditional (Fn::If) policy statement can become."""
    if "Fn::If" in stmt:
        return [b for b in stmt["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}]
    return [stmt]


def statements(template, role):
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for stmt in policy["PolicyDocument"]["Statement"]:
            yield from branches(stmt)


def as_list(value):
    return value if isinstance(value, list) else [value]


# What moto cannot run: the SAM function's invokers and watchers. The function itself becomes
# an SQS queue standing in for it, so the direct path's rules deliver somewhere visible; the two
# rules stay as they are (their Fn::If picks the queue, the topic or the stand-in by DeliveryPath).
MOTO_DROPS = {
    "QueueInvokesFunction",
    "SecurityGroupRuleInvokesFunction",
    "TamperRuleInvokesFunction",
    "NotificationSubscription",
    "TopicInvokesFunction",
    "NotifierAsyncConfig",
    "FunctionErrorsAlarm",
    "FunctionDestinationFailuresAlarm",
}


def monitoring_stack_template():
    """template.yaml as moto's CloudFormation can deploy it: without the Transform and the
    resources in MOTO_DROPS, and with an SQS queue in place of the function."""
    template = load_template(MONITORING)
    del template["Transform"]
    # NOTE: moto turns Number parameters into numbers, so `!Equals [!Ref MaximumConcurrency, "1"]`
    # would never hold; CloudFormation hands every parameter to conditions as a string.
    template["Parameters"]["MaximumConcurrency"] = {"Type": "String", "Default": str(template["Parameters"]["MaximumConcurrency"]["Default"])}
    dropped = {
        name
        for name, resource in template["Resources"].items()
        if name not in ("NotifierFunction", "SecurityGroupChangeRule", "TamperRule") and mentions(resource, "NotifierFunction")
    }
    assert dropped == MOTO_DROPS, f"the template changed: moto would now also lose {dropped - MOTO_DROPS}, or keep {MOTO_DROPS - dropped}"
    for name in dropped:
        del template["Resources"][name]
    template["Resources"]["NotifierFunction"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    return template


# ---- tamper calls (synthetic: a real fixture's envelope with the call changed) -------------
# Calls that could silence sgnotify and must be announced (issue 10): rule names as our own
# templates create them, plus any other rule whose name contains "sgnotify".
TAMPER_CALLS = {
    "CloudTrail StopLogging": ("aws.cloudtrail", "cloudtrail.amazonaws.com", "StopLogging", {"name": "org-trail"}),
    "CloudTrail DeleteTrail": ("aws.cloudtrail", "cloudtrail.amazonaws.com", "DeleteTrail", {"name": "arn:aws:cloudtrail:us-east-1:222222222222:trail/main"}),
    "CloudTrail UpdateTrail": ("aws.cloudtrail", "cloudtrail.amazonaws.com", "UpdateTrail", {"name": "main", "isMultiRegionTrail": False}),
    "CloudTrail PutEventSelectors": ("aws.cloudtrail", "cloudtrail.amazonaws.com", "PutEventSelectors", {"trailName": "main", "eventSelectors": [{"readWriteType": "ReadOnly"}]}),
    "DisableRule on the member SG rule": ("aws.events", "events.amazonaws.com", "DisableRule", {"name": "sgnotify-forward-sg-changes"}),
    "DeleteRule on the member tamper rule": ("aws.events", "events.amazonaws.com", "DeleteRule", {"name": "sgnotify-forward-tamper", "force": False}),
    "PutRule disabling the central rule": ("aws.events", "events.amazonaws.com", "PutRule", {"name": "sgnotify-sg-sgnotify", "state": "DISABLED"}),
    "RemoveTargets from the member SG rule": ("aws.events", "events.amazonaws.com", "RemoveTargets", {"rule": "sgnotify-forward-sg-changes", "ids": ["central-bus"]}),
    "DisableRule on a rule merely containing sgnotify": ("aws.events", "events.amazonaws.com", "DisableRule", {"name": "team-a-sgnotify-copy"}),
}
# Near misses that must reach no rule.
NOT_TAMPER_CALLS = {
    "DisableRule on another rule": ("aws.events", "events.amazonaws.com", "DisableRule", {"name": "billing-alerts"}),
    "PutRule on another rule": ("aws.events", "events.amazonaws.com", "PutRule", {"name": "nightly-backup"}),
    "RemoveTargets from another rule": ("aws.events", "events.amazonaws.com", "RemoveTargets", {"rule": "billing-alerts", "ids": ["1"]}),
    "RemoveTargets naming sgnotify only in a target id": ("aws.events", "events.amazonaws.com", "RemoveTargets", {"rule": "billing-alerts", "ids": ["sgnotify"]}),
    "EnableRule on an sgnotify rule": ("aws.events", "events.amazonaws.com", "EnableRule", {"name": "sgnotify-forward-sg-changes"}),
    "DescribeRule on an sgnotify rule": ("aws.events", "events.amazonaws.com", "DescribeRule", {"name": "sgnotify-forward-sg-changes"}),
    # NOTE: wildcard matching is case-sensitive; sgnotify's own rules are lower-case.
    "DisableRule on an upper-case SGNOTIFY rule": ("aws.events", "events.amazonaws.com", "DisableRule", {"name": "SGNOTIFY-legacy"}),
    "CloudTrail StartLogging": ("aws.cloudtrail", "cloudtrail.amazonaws.com", "StartLogging", {"name": "org-trail"}),
    "CloudTrail CreateTrail": ("aws.cloudtrail", "cloudtrail.amazonaws.com", "CreateTrail", {"name": "extra"}),
    "DisableRule of sgnotify under the EC2 source": ("aws.ec2", "events.amazonaws.com", "DisableRule", {"name": "sgnotify-forward-sg-changes"}),
}


def call_event(base, source, event_source, event_name, request):
    """A copy of a real fixture event made into another API call (synthetic)."""
    event = derived_event(base, source=source, detail={"eventSource": event_source, "eventName": event_name, "requestParameters": request})
    event["detail"].pop("responseElements", None)
    return event


def spotlight_event():
    return envelope(json.loads((FIXTURES / "aws-spotlight__AuthorizeSecurityGroupIngress__1.json").read_text()))


# ---- tests --------------------------------------------------------------------------------
class LintTest(unittest.TestCase):
    def test_cfn_lint_reports_nothing(self):
        """Errors, warnings and informational findings: none (no rule is ignored)."""
        run_cfn_lint = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"
        result = subprocess.run(
            [sys.executable, "-c", run_cfn_lint, "--include-checks", "I", "--", str(MONITORING), str(MEMBER), str(MANAGEMENT)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""))


class TemplateShapeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mon = load_template(MONITORING)
        cls.mem = load_template(MEMBER)
        cls.mgmt = load_template(MANAGEMENT)
        cls.res = cls.mon["Resources"]
        cls.params = cls.mon["Parameters"]
        cls.env = cls.res["NotifierFunction"]["Properties"]["Environment"]["Variables"]

    def test_member_and_monitoring_rules_have_the_same_two_patterns(self):
        sg = rule_pattern(self.mon, "SecurityGroupChangeRule")
        self.assertEqual(sg, rule_pattern(self.mem, "ForwardSecurityGroupChanges"))
        self.assertEqual(
            sg,
            {
                "source": ["aws.ec2"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventSource": ["ec2.amazonaws.com"], "eventName": SG_EVENT_NAMES},
            },
        )
        self.assertEqual(rule_pattern(self.mon, "TamperRule"), rule_pattern(self.mem, "ForwardTamperEvents"))

    def test_every_rule_name_contains_sgnotify_so_tampering_with_it_is_seen(self):
        names = [self.res[r]["Properties"]["Name"] for r in ("SecurityGroupChangeRule", "TamperRule")]
        names += [self.mem["Resources"][r]["Properties"]["Name"] for r in ("ForwardSecurityGroupChanges", "ForwardTamperEvents")]
        for name in names:
            self.assertIn("sgnotify", json.dumps(name), name)

    def test_function_is_the_packaged_zip_on_node_arm64(self):
        props = self.res["NotifierFunction"]["Properties"]
        self.assertEqual((LAMBDA_DIR / props["CodeUri"]).resolve(), REPO / "target/lambda/sgnotify-lambda.zip")
        self.assertEqual(props["Handler"], "index.handler")
        self.assertIn(props["Runtime"], ("nodejs20.x", "nodejs22.x"))
        self.assertEqual(props["Architectures"], ["arm64"])

    def test_queue_path_is_the_default_and_feeds_the_function_through_a_mapping(self):
        self.assertEqual(self.params["DeliveryPath"]["Default"], "queue")
        self.assertEqual(self.params["DeliveryPath"]["AllowedValues"], ["queue", "direct", "sns"])
        for rule in ("SecurityGroupChangeRule", "TamperRule"):
            [target] = self.res[rule]["Properties"]["Targets"]
            self.assertEqual(target["Arn"]["Fn::If"][:2], ["ViaQueue", {"Fn::GetAtt": ["EventQueue", "Arn"]}], rule)
        esm = self.res["QueueInvokesFunction"]
        self.assertEqual(esm["Condition"], "ViaQueue")
        p = esm["Properties"]
        self.assertEqual((p["EventSourceArn"], p["FunctionName"]), ({"Fn::GetAtt": ["EventQueue", "Arn"]}, {"Ref": "NotifierFunction"}))
        self.assertEqual(p["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        self.assertEqual(p["BatchSize"], {"Ref": "BatchSize"})
        # One at a time by default: a FIFO queue with one group (the mapping's own limit starts at 2).
        self.assertEqual(self.params["MaximumConcurrency"]["Default"], 1)
        self.assertEqual(p["ScalingConfig"], {"Fn::If": ["OneAtATime", {"Ref": "AWS::NoValue"}, {"MaximumConcurrency": {"Ref": "MaximumConcurrency"}}]})
        self.assertEqual(self.mon["Conditions"]["OneAtATime"], {"Fn::Equals": [{"Ref": "MaximumConcurrency"}, "1"]})
        self.assertEqual(self.res["EventQueue"]["Properties"]["FifoQueue"]["Fn::If"][0], "SerialQueue")

    def test_queue_visibility_covers_six_function_timeouts_and_redrives_to_its_dlq(self):
        queue = self.res["EventQueue"]["Properties"]
        timeout = self.res["NotifierFunction"]["Properties"]["Timeout"]
        self.assertGreaterEqual(queue["VisibilityTimeout"], 6 * timeout)
        self.assertEqual(queue["RedrivePolicy"]["deadLetterTargetArn"], {"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]})
        self.assertGreaterEqual(queue["RedrivePolicy"]["maxReceiveCount"], 5)  # AWS's advice for Lambda consumers
        # A message keeps its first enqueue time in the DLQ: the DLQ must keep it longer.
        self.assertGreater(self.res["EventDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"], queue["MessageRetentionPeriod"])
        # The worst batch at the defaults fits in the timeout.
        worst = self.params["BatchSize"]["Default"] * self.params["MaxMessagesPerEvent"]["Default"] / self.params["SlackMaxPerSecond"]["Default"]
        self.assertLess(worst, timeout)

    def test_queue_accepts_only_the_two_rules(self):
        [stmt] = self.res["EventQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
        self.assertEqual((stmt["Effect"], stmt["Principal"], stmt["Action"]), ("Allow", {"Service": "events.amazonaws.com"}, "sqs:SendMessage"))
        self.assertEqual(stmt["Resource"], {"Fn::GetAtt": ["EventQueue", "Arn"]})
        self.assertEqual(
            stmt["Condition"], {"ArnEquals": {"aws:SourceArn": [{"Fn::GetAtt": ["SecurityGroupChangeRule", "Arn"]}, {"Fn::GetAtt": ["TamperRule", "Arn"]}]}}
        )

    def test_failed_events_are_kept_on_every_path(self):
        for rule in ("SecurityGroupChangeRule", "TamperRule"):
            [target] = self.res[rule]["Properties"]["Targets"]
            self.assertEqual(target["DeadLetterConfig"]["Arn"], {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]})
            self.assertTrue({"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= set(target["RetryPolicy"]))
        invoke = self.res["NotifierAsyncConfig"]["Properties"]
        self.assertEqual(invoke["FunctionName"], {"Ref": "NotifierFunction"})
        self.assertTrue({"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= set(invoke))
        self.assertEqual(invoke["DestinationConfig"]["OnFailure"]["Destination"], {"Fn::GetAtt": ["FunctionFailureQueue", "Arn"]})
        sub = self.res["NotificationSubscription"]["Properties"]
        self.assertEqual(sub["RedrivePolicy"]["deadLetterTargetArn"], {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]})

    def test_every_alarm_notifies_on_the_way_in_and_out(self):
        alarms = {k: r for k, r in self.res.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
        for name, alarm in alarms.items():
            p = alarm["Properties"]
            with self.subTest(alarm=name):
                self.assertEqual(p.get("AlarmActions"), [{"Ref": "AlarmTopic"}])
                self.assertEqual(p.get("OKActions"), [{"Ref": "AlarmTopic"}])
                self.assertEqual(p.get("TreatMissingData"), "notBreaching")
        watched = [(a["Properties"]["Namespace"], a["Properties"]["MetricName"], a["Properties"]["Dimensions"][0]["Value"]) for a in alarms.values()]
        expected = [
            ("AWS/Lambda", "Errors", {"Ref": "NotifierFunction"}),
            ("AWS/Lambda", "DestinationDeliveryFailures", {"Ref": "NotifierFunction"}),
            ("AWS/Events", "FailedInvocations", {"Ref": "SecurityGroupChangeRule"}),
            ("AWS/Events", "FailedInvocations", {"Ref": "TamperRule"}),
            ("AWS/SNS", "NumberOfNotificationsFailed", {"Fn::GetAtt": ["NotificationTopic", "TopicName"]}),
            ("AWS/SQS", "ApproximateAgeOfOldestMessage", {"Fn::GetAtt": ["EventQueue", "QueueName"]}),
        ] + [("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": [q, "QueueName"]}) for q in ("EventDeadLetterQueue", "DeliveryDeadLetterQueue", "FunctionFailureQueue")]
        self.assertEqual(sorted(map(json.dumps, watched)), sorted(map(json.dumps, expected)))
        conditional = {a["Properties"]["Namespace"] + "/" + a["Properties"]["MetricName"]: a.get("Condition") for a in alarms.values()}
        self.assertEqual((conditional["AWS/SNS/NumberOfNotificationsFailed"], conditional["AWS/SQS/ApproximateAgeOfOldestMessage"]), ("ViaSns", "ViaQueue"))
        # The alarm topic always exists (alarms always have somewhere to go); the e-mail is a choice.
        self.assertNotIn("Condition", self.res["AlarmTopic"])
        self.assertEqual(self.res["AlarmEmailSubscription"]["Condition"], "HasAlarmEmail")

    def test_alarm_email_is_a_required_choice_with_an_explicit_none(self):
        param = self.params["AlarmEmail"]
        self.assertNotIn("Default", param)
        pattern = re.compile(param["AllowedPattern"])
        for ok in ("none", "cloud-team@example.com"):
            self.assertTrue(pattern.fullmatch(ok), ok)
        for bad in ("", "None ", "cloud-team", "a@b@c"):
            self.assertFalse(pattern.fullmatch(bad), bad)
        self.assertEqual(self.mon["Conditions"]["HasAlarmEmail"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, "none"]}]})

    def test_state_table_and_the_functions_four_item_grants(self):
        table = self.res["StateTable"]["Properties"]
        self.assertEqual(table["KeySchema"], [{"AttributeName": "id", "KeyType": "HASH"}])
        self.assertEqual(table["AttributeDefinitions"], [{"AttributeName": "id", "AttributeType": "S"}])
        self.assertEqual(table["TimeToLiveSpecification"], {"AttributeName": "expiresAt", "Enabled": True})
        self.assertEqual((table["BillingMode"], table["SSESpecification"]), ("PAY_PER_REQUEST", {"SSEEnabled": True}))
        self.assertEqual(self.env["STATE_TABLE"], {"Ref": "StateTable"})
        on_table = [s for s in statements(self.mon, "NotifierRole") if mentions(s["Resource"], "StateTable")]
        self.assertEqual(len(on_table), 1)
        self.assertEqual(set(on_table[0]["Action"]), {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"})
        self.assertEqual(on_table[0]["Resource"], {"Fn::GetAtt": ["StateTable", "Arn"]})
        self.assertFalse([s for s in statements(self.mon, "NotifierRole") if any(a.startswith("dynamodb:") for a in as_list(s["Action"])) and s is not on_table[0]])

    def test_bus_policy_admits_the_organisation_for_the_patterns_sources_only(self):
        stmt = self.res["OrganizationPutEventsPolicy"]["Properties"]["Statement"]
        self.assertEqual(stmt["Action"], "events:PutEvents")
        self.assertEqual(stmt["Condition"]["StringEquals"]["aws:PrincipalOrgID"], {"Ref": "OrganizationId"})
        sources = set(rule_pattern(self.mon, "SecurityGroupChangeRule")["source"]) | set(rule_pattern(self.mon, "TamperRule")["source"])
        self.assertEqual(set(stmt["Condition"]["ForAllValues:StringEquals"]["events:source"]), sources)

    def test_roles_grant_nothing_broad(self):
        """No wildcard action; Resource "*" only for the Organizations read calls (ListAccounts has
        no resource-level permissions); KMS only through a service."""
        for template, role in ((self.mon, "NotifierRole"), (self.mem, "ForwarderRole"), (self.mgmt, "OrganizationsReadRole")):
            for s in statements(template, role):
                actions = as_list(s["Action"])
                self.assertFalse([a for a in actions if "*" in a], f"{role}: {s}")
                if s["Resource"] == "*":
                    self.assertLessEqual(set(actions), ORGANIZATIONS_READ, f"{role}: {s}")
                if actions == ["kms:Decrypt"]:
                    self.assertIn("kms:ViaService", s["Condition"]["StringEquals"], f"{role}: {s}")

    def test_optional_grants_exist_only_with_their_setting(self):
        conditional = {}
        for policy in self.res["NotifierRole"]["Properties"]["Policies"]:
            for stmt in policy["PolicyDocument"]["Statement"]:
                if "Fn::If" in stmt:
                    cond, then, other = stmt["Fn::If"]
                    self.assertEqual(other, {"Ref": "AWS::NoValue"})
                    conditional[then["Sid"]] = (cond, then)
        cond, s = conditional["AssumeOrganizationsReadRole"]
        self.assertEqual((cond, s["Action"], s["Resource"]), ("HasOrganizationsRole", "sts:AssumeRole", {"Ref": "OrganizationsRoleArn"}))
        cond, s = conditional["ReadOrganization"]
        self.assertEqual((cond, set(s["Action"])), ("ReadOrganizationsDirectly", ORGANIZATIONS_READ))
        for sid, param, condition in (("ReadAccountNamesParameter", "AccountNamesSsmParameter", "HasAccountNamesParameter"), ("ReadPolicyParameter", "PolicySsmParameter", "HasPolicyParameter")):
            cond, s = conditional[sid]
            self.assertEqual((cond, s["Action"]), (condition, "ssm:GetParameter"))
            self.assertTrue(s["Resource"]["Fn::Sub"].endswith(f":parameter${{{param}}}"), s)
        # Routing webhooks (issue 11) and the app's bot token (issue 12): one secret each, read only.
        for sid, param, condition in (("ReadRoutingWebhooksSecret", "WebhooksSecretArn", "HasWebhooksSecret"), ("ReadSlackBotTokenSecret", "SlackBotTokenSecretArn", "AppMode")):
            cond, s = conditional[sid]
            self.assertEqual((cond, s["Action"], s["Resource"]), (condition, "secretsmanager:GetSecretValue", {"Ref": param}))
        cond, s = conditional["ParkUnusableRecords"]
        self.assertEqual((cond, s["Action"], s["Resource"]), ("ViaQueue", "sqs:SendMessage", {"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]}))
        cond, s = conditional["ReceiveFromEventQueue"]
        self.assertEqual((cond, s["Resource"]), ("ViaQueue", {"Fn::GetAtt": ["EventQueue", "Arn"]}))
        self.assertEqual(set(s["Action"]), {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"})

    def test_management_role_only_reads_the_organisation_for_the_function_role(self):
        role = self.mgmt["Resources"]["OrganizationsReadRole"]["Properties"]
        [policy] = role["Policies"]
        [stmt] = policy["PolicyDocument"]["Statement"]
        self.assertEqual((stmt["Effect"], set(stmt["Action"])), ("Allow", ORGANIZATIONS_READ))
        for action in ORGANIZATIONS_READ:  # read calls only, by their names
            self.assertRegex(action, r"^organizations:(List|Describe)[A-Za-z]+$")
        self.assertNotIn("ManagedPolicyArns", role)
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual((trust["Effect"], trust["Action"]), ("Allow", "sts:AssumeRole"))
        self.assertEqual(trust["Condition"], {"ArnEquals": {"aws:PrincipalArn": {"Ref": "NotifierRoleArn"}}})
        # The principal is the account of that role: the ARN's fifth field.
        principal = trust["Principal"]["AWS"]["Fn::Sub"]
        self.assertEqual(principal[0], "arn:${AWS::Partition}:iam::${MonitoringAccountId}:root")
        self.assertEqual(principal[1]["MonitoringAccountId"], {"Fn::Select": [4, {"Fn::Split": [":", {"Ref": "NotifierRoleArn"}]}]})
        self.assertNotIn("Default", self.mgmt["Parameters"]["NotifierRoleArn"])
        self.assertEqual(self.mon["Outputs"]["NotifierRoleArn"]["Value"], {"Fn::GetAtt": ["NotifierRole", "Arn"]})
        self.assertEqual(self.mgmt["Outputs"]["RoleArn"]["Value"], {"Fn::GetAtt": ["OrganizationsReadRole", "Arn"]})

    def test_member_role_only_puts_events_on_the_rules_target_and_is_unnamed(self):
        role = self.mem["Resources"]["ForwarderRole"]["Properties"]
        # NOTE: no RoleName: a StackSet's per-region stacks of one account would collide on it.
        self.assertNotIn("RoleName", role)
        [stmt] = role["Policies"][0]["PolicyDocument"]["Statement"]
        for rule in ("ForwardSecurityGroupChanges", "ForwardTamperEvents"):
            [target] = self.mem["Resources"][rule]["Properties"]["Targets"]
            self.assertEqual((stmt["Action"], stmt["Resource"]), ("events:PutEvents", target["Arn"]))
            self.assertEqual(target["RoleArn"], {"Fn::GetAtt": ["ForwarderRole", "Arn"]})

    def test_member_and_management_templates_hard_code_no_account_or_region(self):
        for template in (self.mem, self.mgmt):
            body = json.dumps({k: template.get(k) for k in ("Conditions", "Resources", "Outputs")})
            self.assertIsNone(re.search(r"\b\d{12}\b", body))
            self.assertIsNone(re.search(r"\b[a-z]{2}-[a-z]+-\d\b", body))
            self.assertNotIn("arn:aws:", body)  # partition from AWS::Partition (GovCloud, China)

    def test_each_setting_has_its_parameter(self):
        """Environment variable -> the parameter behind it, and that parameter's default."""
        cases = {
            "SLACK_MAX_PER_SECOND": ("SlackMaxPerSecond", 1),
            "MAX_MESSAGES_PER_EVENT": ("MaxMessagesPerEvent", 10),
            "COLOR_SCHEME": ("ColorScheme", "severity"),
            "SLACK_WEBHOOK_ALLOWED_HOSTS": ("SlackWebhookAllowedHosts", ""),
            "ACCOUNT_NAMES_SOURCE": ("AccountNamesSource", ""),
            "ORGANIZATIONS_ROLE_ARN": ("OrganizationsRoleArn", ""),
            "ACCOUNT_NAMES_SSM_PARAMETER": ("AccountNamesSsmParameter", ""),
            "POLICY": ("Policy", ""),
            "POLICY_SSM_PARAMETER": ("PolicySsmParameter", ""),
        }
        for variable, (param, default) in cases.items():
            with self.subTest(variable=variable):
                value = self.env[variable]
                source = self.mon["Conditions"][value["Fn::If"][0]] if "Fn::If" in value else value
                self.assertIn(param, json.dumps([value, source]))
                self.assertEqual(self.params[param]["Default"], default)
        self.assertEqual(self.params["ColorScheme"]["AllowedValues"], ["severity", "action"])
        self.assertEqual(self.params["AccountNamesSource"]["AllowedValues"], ["", "organizations"])
        # Optional settings are left out of the environment when empty (an empty variable is unset).
        self.assertEqual(self.env["ACCOUNT_NAMES_SOURCE"], {"Fn::If": ["UseOrganizations", "organizations", {"Ref": "AWS::NoValue"}]})
        hosts = re.compile(self.params["SlackWebhookAllowedHosts"]["AllowedPattern"])
        for ok in ("", "proxy.example.com", "127.0.0.1:8080,hooks.example.org", "[::1]:8080", "localhost,[::1]"):
            self.assertTrue(hosts.fullmatch(ok), ok)
        for bad in ("https://proxy.example.com", "a b", "proxy.example.com/path", "user@proxy", "proxy,", "[::1", "::1"):
            self.assertFalse(hosts.fullmatch(bad), bad)


class EnvironmentContractTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        fn = load_template(MONITORING)["Resources"]["NotifierFunction"]["Properties"]
        cls.template_env = set(fn["Environment"]["Variables"])

    def test_template_sets_exactly_the_handler_contract(self):
        self.assertEqual(self.template_env, HANDLER_ENV)

    def test_handler_and_template_agree_on_every_variable(self):
        sources = runtime_modules()
        read = set()
        for src in sources:
            read |= env_names_read(src.read_text())
        read = {n for n in read if not RUNTIME_ENV.match(n)}
        self.assertTrue(read, f"found no environment reads in {sources}")
        self.assertEqual(
            {
                "read by the handler, not set by template.yaml": sorted(read - self.template_env - NOT_EXPOSED),
                "set by template.yaml, never read by the handler": sorted(self.template_env - read),
                "in NOT_EXPOSED, never read by the handler": sorted(NOT_EXPOSED - read),
            },
            {
                "read by the handler, not set by template.yaml": [],
                "set by template.yaml, never read by the handler": [],
                "in NOT_EXPOSED, never read by the handler": [],
            },
        )

    def test_every_module_the_handler_imports_is_in_the_zip(self):
        makefile = (REPO / "Makefile").read_text()
        [listed] = re.findall(r"^LAMBDA_RUNTIME := \$\(addprefix js/lambda/,([^)]*)\)", makefile, re.M)
        packaged = {LAMBDA_DIR / name for name in listed.split()}
        self.assertEqual(set(handler_modules(LAMBDA_DIR / "index.mjs")) - packaged, set(), "imported by index.mjs, missing from the Makefile's LAMBDA_RUNTIME")


NAME = r"([A-Z][A-Z0-9_]*)"
ENV_READS = [
    re.compile(r"\benv\." + NAME + r"\b"),  # process.env.X, env.X
    re.compile(r"\benv\[\s*['\"`]" + NAME + r"['\"`]\s*\]"),  # process.env['X'], env["X"]
    re.compile(r"\bget\(\s*['\"`]" + NAME + r"['\"`]"),  # get('X') over the env object
    re.compile(r"\(\s*get\s*,\s*['\"`]" + NAME + r"['\"`]"),  # readInt(get, 'X', ...)
]
ENV_LISTS = re.compile(r"\b[A-Z_]*(?:VARIABLES|VARS|ENV)[A-Z_]*\s*=\s*\[([^\]]*)\]")  # const WEBHOOK_VARIABLES = [...]
ENV_DESTRUCTURING = re.compile(r"\{([^{}]*)\}\s*=\s*(?:process\.)?env\b")


def handler_modules(entry):
    """index.mjs and the local modules it imports, transitively."""
    seen, todo = [], [entry.resolve()]
    while todo:
        path = todo.pop()
        if path in seen or not path.exists():
            continue
        seen.append(path)
        code = path.read_text()
        for spec in re.findall(r"""(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}/[^'"]+)['"]""", code):
            todo.append((path.parent / spec).resolve())
    return seen


def runtime_modules():
    """Every runtime module of js/lambda: all its .mjs files but the demo and test helpers, and
    whatever local module those import (a module may read a variable without index.mjs
    importing it directly, or be loaded dynamically)."""
    entries = sorted(p for p in LAMBDA_DIR.glob("*.mjs") if p.name not in NOT_RUNTIME)
    seen = []
    for entry in entries:
        seen += [m for m in handler_modules(entry) if m not in seen and m.name not in NOT_RUNTIME]
    return seen


def env_names_read(code):
    """The environment variable names a handler module reads, by the forms JS code uses."""
    names = set()
    for pattern in ENV_READS:
        names |= set(pattern.findall(code))
    for body in ENV_LISTS.findall(code):
        names |= set(re.findall(r"['\"`]" + NAME + r"['\"`]", body))
    for body in ENV_DESTRUCTURING.findall(code):
        names |= {n.split(":")[0].split("=")[0].strip() for n in body.split(",")} - {""}
    return names


class EventRoutingTest(unittest.TestCase):
    """Member account 222222222222 (us-east-1) and the monitoring account's other region
    (us-west-2) forward to the monitoring account 111111111111's default bus in eu-west-1, where
    template.yaml's stack (queue path, defaults) queues what its rules match. A second monitoring
    deployment (333333333333, MaximumConcurrency=2) shows the standard-queue variant."""

    @classmethod
    def setUpClass(cls):
        for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            os.environ.pop(var, None)
        os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
        cls.moto = MotoServer()
        try:
            cls._deploy()
        except BaseException:
            cls.moto.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    @classmethod
    def _stack(cls, account, region, name, template, params):
        cf = cls.moto.client("cloudformation", account, region)
        params = [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()]
        cf.create_stack(StackName=name, TemplateBody=json.dumps(template), Parameters=params, Capabilities=["CAPABILITY_IAM"])
        deadline = time.monotonic() + 60
        while (stack := cf.describe_stacks(StackName=name)["Stacks"][0])["StackStatus"].endswith("IN_PROGRESS"):
            if time.monotonic() > deadline:
                raise AssertionError(f"stack {name} in {account}/{region} still {stack['StackStatus']} after 60 s")
            time.sleep(0.2)
        assert stack["StackStatus"] == "CREATE_COMPLETE", f"{name} in {account}/{region}: {stack['StackStatus']} {stack.get('StackStatusReason')}"
        resources = cf.list_stack_resources(StackName=name)["StackResourceSummaries"]
        return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}

    @classmethod
    def _deploy(cls):
        # The monitoring side: template.yaml, less what moto cannot run (MOTO_DROPS).
        # NOTE: moto's own YAML loader turns `!Condition X` into {"Fn::Condition": X}, so every
        # template goes in as JSON.
        monitoring = monitoring_stack_template()
        cls.central = cls._stack(MONITORING_ACCOUNT, CENTRAL_REGION, "sgnotify", monitoring, {"OrganizationId": "o-a1b2c3d4e5", "AlarmEmail": "none"})
        cls.queue = cls._existing_queue(MONITORING_ACCOUNT, CENTRAL_REGION, cls.central["EventQueue"])
        cls.queue_dlq = cls._existing_queue(MONITORING_ACCOUNT, CENTRAL_REGION, cls.central["EventDeadLetterQueue"])
        cls.other = cls._stack(
            OTHER_MONITORING_ACCOUNT, CENTRAL_REGION, "sgnotify", monitoring, {"OrganizationId": "o-a1b2c3d4e5", "AlarmEmail": "ops@example.com", "MaximumConcurrency": "2"}
        )
        cls.other_queue = cls._existing_queue(OTHER_MONITORING_ACCOUNT, CENTRAL_REGION, cls.other["EventQueue"])
        cls.other_dlq = cls._existing_queue(OTHER_MONITORING_ACCOUNT, CENTRAL_REGION, cls.other["EventDeadLetterQueue"])
        cls.paths = {}
        for account, path in ((DIRECT_ACCOUNT, "direct"), (SNS_ACCOUNT, "sns")):
            params = {"OrganizationId": "o-a1b2c3d4e5", "AlarmEmail": "none", "DeliveryPath": path}
            cls.paths[path] = cls._stack(account, CENTRAL_REGION, "sgnotify", monitoring, params)
        cls.function_stand_in = cls._existing_queue(DIRECT_ACCOUNT, CENTRAL_REGION, cls.paths["direct"]["NotifierFunction"])

        # The member side, as the StackSet would deploy it in each account and region.
        member = load_template(MEMBER)
        params = {"CentralAccountId": MONITORING_ACCOUNT, "CentralRegion": CENTRAL_REGION}
        cls.stacks = {}
        for account, region in ((MEMBER_ACCOUNT, "us-east-1"), (MONITORING_ACCOUNT, "us-west-2"), (MONITORING_ACCOUNT, CENTRAL_REGION)):
            cls.stacks[(account, region)] = cls._stack(account, region, "sgnotify-member", member, params)

        # A second target on both member rules shows what the member patterns alone let through.
        cls.tap = cls._queue(MEMBER_ACCOUNT, "us-east-1", "member-rule-tap")
        events = cls.moto.client("events", MEMBER_ACCOUNT, "us-east-1")
        for rule in ("ForwardSecurityGroupChanges", "ForwardTamperEvents"):
            events.put_targets(Rule=cls.stacks[(MEMBER_ACCOUNT, "us-east-1")][rule], Targets=[{"Id": "tap", "Arn": cls.tap[1]}])

    @classmethod
    def _queue(cls, account, region, name):
        sqs = cls.moto.client("sqs", account, region)
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        return cls._existing_queue(account, region, url)

    @classmethod
    def _existing_queue(cls, account, region, url_or_name):
        sqs = cls.moto.client("sqs", account, region)
        url = sqs.get_queue_url(QueueName=url_or_name.rsplit("/", 1)[-1])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return (sqs, arn, url)

    @staticmethod
    def _drain(queue, attributes=False):
        sqs, _, url = queue
        out = []
        for _ in range(100):  # bounded: a test puts one event at a time
            msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageSystemAttributeNames=["All"]).get("Messages", [])
            out += [(json.loads(m["Body"]), m.get("Attributes", {})) if attributes else json.loads(m["Body"]) for m in msgs]
            if msgs:
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]
                sqs.delete_message_batch(QueueUrl=url, Entries=entries)
            if len(msgs) < 10:  # moto hands out everything visible at once
                return out
        raise AssertionError("queue does not drain")

    def _put(self, account, region, event):
        """What CloudTrail does for a real API call: put the event on that account's and
        region's default bus. (Real PutEvents callers cannot use an aws.* source; moto lets
        the test act as CloudTrail.)"""
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event.get("resources", []),
        }
        out = self.moto.client("events", account, region).put_events(Entries=[entry])
        self.assertEqual(out["FailedEntryCount"], 0, out)

    def _route(self, account, region, event):
        self._put(account, region, event)
        return self._drain(self.tap), self._drain(self.queue)

    def _assert_queued_once(self, label, queued, event):
        self.assertEqual(len(queued), 1, f"{label}: reached the monitoring queue {len(queued)} times")
        self.assertEqual(queued[0]["detail"]["eventID"], event["detail"]["eventID"], label)
        self.assertEqual(queued[0]["detail-type"], "AWS API Call via CloudTrail", label)
        self.assertEqual(queued[0]["source"], event["source"], label)

    def test_every_fixture_event_is_forwarded_and_queued_once(self):
        fixtures = fixture_events()
        self.assertGreaterEqual(len(fixtures), 20)
        seen = set()
        for label, event in fixtures:
            with self.subTest(fixture=label):
                self.assertIn(event["detail"]["eventName"], SG_EVENT_NAMES, "not an SG fixture?")
                tap, queued = self._route(MEMBER_ACCOUNT, "us-east-1", event)
                self.assertEqual(len(tap), 1, f"{label}: member rules matched {len(tap)} times")
                self._assert_queued_once(label, queued, event)
                seen.add(event["detail"]["eventName"])
        self.assertGreaterEqual(len(seen), 6, seen)

    def test_event_names_without_fixtures_match_too(self):
        base = spotlight_event()
        for name in SG_EVENT_NAMES:
            event = derived_event(base, detail={"eventName": name})  # synthetic: real record, name changed
            with self.subTest(eventName=name):
                tap, queued = self._route(MEMBER_ACCOUNT, "us-east-1", event)
                self.assertEqual(len(tap), 1, name)
                self._assert_queued_once(name, queued, event)

    def test_tamper_calls_are_forwarded_and_queued_once(self):
        base = spotlight_event()
        for label, call in TAMPER_CALLS.items():
            with self.subTest(call=label):
                event = call_event(base, *call)
                tap, queued = self._route(MEMBER_ACCOUNT, "us-east-1", event)
                self.assertEqual(len(tap), 1, f"{label}: member rules matched {len(tap)} times")
                self._assert_queued_once(label, queued, event)
                # The same call in the monitoring account itself.
                event = call_event(base, *call)
                tap, queued = self._route(MONITORING_ACCOUNT, CENTRAL_REGION, event)
                self.assertEqual(tap, [])
                self._assert_queued_once(f"{label} (monitoring account)", queued, event)

    def test_near_miss_calls_reach_no_rule(self):
        base = spotlight_event()
        for label, call in NOT_TAMPER_CALLS.items():
            with self.subTest(call=label):
                self.assertEqual(self._route(MEMBER_ACCOUNT, "us-east-1", call_event(base, *call)), ([], []), label)
                self.assertEqual(self._route(MONITORING_ACCOUNT, CENTRAL_REGION, call_event(base, *call)), ([], []), label)

    def test_local_events_of_the_monitoring_account_are_queued_once(self):
        """Central region: native on the bus (the member stack made no rule there, or every
        event would arrive twice). Other region: forwarded by the member stack."""
        # NOTE: moto's ListStackResources shows skipped resources as blank rows, so look at
        # what exists: in the central region only the monitoring rules; one role per forwarding
        # region (IAM is global: the monitoring account has one, from us-west-2).
        c = self.moto.client
        central_rules = sorted(r["Name"] for r in c("events", MONITORING_ACCOUNT, CENTRAL_REGION).list_rules()["Rules"])
        self.assertEqual(central_rules, ["sgnotify-guard-sgnotify", "sgnotify-sg-sgnotify"])
        for account, region in ((MONITORING_ACCOUNT, "us-west-2"), (MEMBER_ACCOUNT, "us-east-1")):
            rules = c("events", account, region).list_rules()["Rules"]
            self.assertEqual(sorted(r["Name"] for r in rules), ["sgnotify-forward-sg-changes", "sgnotify-forward-tamper"])
            for rule in rules:
                targets = c("events", account, region).list_targets_by_rule(Rule=rule["Name"])["Targets"]
                self.assertIn(f"arn:aws:events:{CENTRAL_REGION}:{MONITORING_ACCOUNT}:event-bus/default", [t["Arn"] for t in targets])
            roles = c("iam", account, region).list_roles(PathPrefix="/sgnotify/")["Roles"]
            self.assertEqual(len(roles), 1, (account, roles))
        base = fixture_events()[0][1]
        for region in (CENTRAL_REGION, "us-west-2"):
            event = derived_event(base, region=region)
            with self.subTest(region=region):
                tap, queued = self._route(MONITORING_ACCOUNT, region, event)
                self.assertEqual(tap, [])
                self._assert_queued_once(region, queued, event)

    def test_unrelated_events_are_rejected_by_every_rule(self):
        base = spotlight_event()
        s3_event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": MEMBER_ACCOUNT,
            "time": "2024-05-01T00:00:00Z",
            "region": "us-east-1",
            "resources": ["arn:aws:s3:::example-bucket"],
            "detail": {"bucket": {"name": "example-bucket"}, "object": {"key": "a.txt", "size": 1}},
        }
        unrelated = {
            "RunInstances": derived_event(base, detail={"eventName": "RunInstances"}),
            "DescribeSecurityGroups (read-only)": derived_event(base, detail={"eventName": "DescribeSecurityGroups", "readOnly": True}),
            "eventSource iam.amazonaws.com": derived_event(base, detail={"eventSource": "iam.amazonaws.com", "eventName": "CreateRole"}),
            "SG event name under another eventSource": derived_event(base, detail={"eventSource": "vpc-lattice.amazonaws.com"}),
            "S3 Object Created": s3_event,
            "non-CloudTrail detail-type": derived_event(base, **{"detail-type": "EC2 Instance State-change Notification"}),
            "AWS Service Event via CloudTrail": derived_event(base, **{"detail-type": "AWS Service Event via CloudTrail"}),
            "custom source": derived_event(base, source="com.example.ec2"),
            "lower-case event name": derived_event(base, detail={"eventName": "authorizesecuritygroupingress"}),
        }
        for label, event in unrelated.items():
            with self.subTest(event=label):
                self.assertEqual(self._route(MEMBER_ACCOUNT, "us-east-1", event), ([], []), label)
                self.assertEqual(self._route(MONITORING_ACCOUNT, CENTRAL_REGION, event), ([], []), label)

    def test_redacted_streamalert_fixtures_as_published_are_rejected(self):
        redacted = redacted_fixture_events()
        self.assertTrue(redacted)
        for label, event in redacted:
            with self.subTest(fixture=label):
                self.assertEqual(self._route(MEMBER_ACCOUNT, "us-east-1", event), ([], []))

    def test_default_queue_is_fifo_with_one_message_group(self):
        sqs, _, url = self.queue
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((attrs["FifoQueue"], attrs["ContentBasedDeduplication"]), ("true", "true"))
        dlq = self.queue_dlq[0].get_queue_attributes(QueueUrl=self.queue_dlq[2], AttributeNames=["All"])["Attributes"]
        self.assertEqual(dlq["FifoQueue"], "true")  # a FIFO queue's DLQ must be FIFO too
        base = spotlight_event()
        for label, event in (("SG change", derived_event(base)), ("tamper call", call_event(base, *TAMPER_CALLS["CloudTrail StopLogging"]))):
            with self.subTest(event=label):
                self._put(MEMBER_ACCOUNT, "us-east-1", event)
                self._drain(self.tap)
                [(body, msg_attrs)] = self._drain(self.queue, attributes=True)
                self.assertEqual(body["detail"]["eventID"], event["detail"]["eventID"])
                self.assertEqual(msg_attrs.get("MessageGroupId"), "sgnotify")

    def test_queue_attributes_follow_the_template_in_both_variants(self):
        timeout = load_template(MONITORING)["Resources"]["NotifierFunction"]["Properties"]["Timeout"]
        for label, queue, dlq in (("MaximumConcurrency=1", self.queue, self.queue_dlq), ("MaximumConcurrency=2", self.other_queue, self.other_dlq)):
            with self.subTest(variant=label):
                sqs, _, url = queue
                attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                self.assertGreaterEqual(int(attrs["VisibilityTimeout"]), 6 * timeout)
                redrive = json.loads(attrs["RedrivePolicy"])
                self.assertEqual(redrive["deadLetterTargetArn"], dlq[1])
                self.assertGreaterEqual(int(redrive["maxReceiveCount"]), 5)
                self.assertEqual(attrs["SqsManagedSseEnabled"], "true")
                dlq_attrs = dlq[0].get_queue_attributes(QueueUrl=dlq[2], AttributeNames=["All"])["Attributes"]
                self.assertGreater(int(dlq_attrs["MessageRetentionPeriod"]), int(attrs["MessageRetentionPeriod"]))
        other = self.other_queue[0].get_queue_attributes(QueueUrl=self.other_queue[2], AttributeNames=["All"])["Attributes"]
        self.assertNotIn("FifoQueue", other)

    def test_a_record_the_function_keeps_failing_moves_to_the_dlq_after_the_receive_count(self):
        """What Lambda's mapping does with a record reported failed: receive it again after the
        visibility timeout (here cut to 0), until the redrive policy parks it in the DLQ."""
        base = spotlight_event()
        for label, queue, dlq, account in (
            ("FIFO", self.queue, self.queue_dlq, MONITORING_ACCOUNT),
            ("standard", self.other_queue, self.other_dlq, OTHER_MONITORING_ACCOUNT),
        ):
            with self.subTest(queue=label):
                event = derived_event(base)
                self._put(account, CENTRAL_REGION, event)
                sqs, _, url = queue
                redrive = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
                receives = 0
                for _ in range(int(redrive["maxReceiveCount"]) + 1):
                    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
                    if not msgs:
                        break
                    [msg] = msgs
                    self.assertEqual(json.loads(msg["Body"])["detail"]["eventID"], event["detail"]["eventID"])
                    receives += 1
                self.assertEqual(receives, int(redrive["maxReceiveCount"]))
                [parked] = self._drain(dlq)
                self.assertEqual(parked["detail"]["eventID"], event["detail"]["eventID"])
                self.assertEqual(self._drain(queue), [])

    def test_direct_path_hands_both_rules_events_to_the_function(self):
        self.assertNotIn("EventQueue", self.paths["direct"])
        base = spotlight_event()
        for label, event in (("SG change", derived_event(base)), ("tamper call", call_event(base, *TAMPER_CALLS["DisableRule on the member SG rule"]))):
            with self.subTest(event=label):
                self._put(DIRECT_ACCOUNT, CENTRAL_REGION, event)
                [invoked] = self._drain(self.function_stand_in)
                self.assertEqual(invoked["detail"]["eventID"], event["detail"]["eventID"])

    def test_sns_path_points_both_rules_at_the_topic(self):
        """NOTE: moto 5.2.1's EventBridge cannot deliver to SNS targets, so this looks at the
        deployed targets instead of sending an event through."""
        stack = self.paths["sns"]
        self.assertNotIn("EventQueue", stack)
        events = self.moto.client("events", SNS_ACCOUNT, CENTRAL_REGION)
        for rule in ("SecurityGroupChangeRule", "TamperRule"):
            [target] = events.list_targets_by_rule(Rule=stack[rule])["Targets"]
            self.assertEqual(target["Arn"], stack["NotificationTopic"], rule)
            self.assertNotIn("SqsParameters", target)

    def test_state_table_as_deployed(self):
        ddb = self.moto.client("dynamodb", MONITORING_ACCOUNT, CENTRAL_REGION)
        table = ddb.describe_table(TableName=self.central["StateTable"])["Table"]
        self.assertEqual(table["KeySchema"], [{"AttributeName": "id", "KeyType": "HASH"}])
        self.assertEqual(table["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        # NOTE: moto's CloudFormation ignores TimeToLiveSpecification and SSESpecification; the
        # template's own values are checked in TemplateShapeTest.


class Result(unittest.TextTestResult):
    """Counts subtests one by one, so the summary line says what ran."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed_subtests = 0

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is None:
            self.passed_subtests += 1


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2, resultclass=Result, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    if not result.wasSuccessful() and passed < 0:
        passed = 0
    print(f"({result.passed_subtests} subtests passed)")
    print(f"deploy-test: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
