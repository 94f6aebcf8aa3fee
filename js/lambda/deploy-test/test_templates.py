#!/usr/bin/env python3
"""Tests of the deploy templates (js/lambda/template.yaml, js/lambda/member-account.yaml).

Run: python3 js/lambda/deploy-test/test_templates.py   (what `make test-deploy` does)
Needs cfn-lint >= 1 and moto[server] >= 5 (the Makefile target installs them when missing).

- cfn-lint, informational checks included, reports nothing on either template.
- Event routing through moto's EventBridge (a moto server on 127.0.0.1, never real AWS):
  member-account.yaml is deployed by moto's CloudFormation into member and monitoring accounts
  and regions, the monitoring rule is created with the pattern read from template.yaml (its SAM
  function cannot run in moto, so an SQS queue stands in for it), and every fixture event is
  put on a member account's default bus. Each must reach the monitoring rule exactly once;
  unrelated events must reach neither rule.
  NOTE: moto 5.2.1 answers TestEventPattern with an empty body (not implemented), so the
  patterns are exercised the way EventBridge uses them: PutEvents -> rule -> target.
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
FIXTURES = REPO / "tests" / "fixtures" / "events"

SG_EVENT_NAMES = [
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
    "ModifySecurityGroupRules",
    "UpdateSecurityGroupRuleDescriptionsIngress",
    "UpdateSecurityGroupRuleDescriptionsEgress",
]
# The handler's configuration contract (design.md, "The Lambda contract"), plus the
# username/icon overrides of the core's Options that the handler also reads.
HANDLER_ENV = {
    "SLACK_WEBHOOK_SSM_PARAMETER",
    "SLACK_WEBHOOK_SECRET_ID",
    "SLACK_WEBHOOK_URL",
    "ACCOUNT_NAMES",
    "TIMEZONE",
    "LOCALE",
    "COLOR_SCHEME",
    "SLACK_CHANNEL",
    "SLACK_USERNAME",
    "SLACK_ICON_EMOJI",
    "MAX_MESSAGES_PER_EVENT",
    "DRY_RUN",
}
# Read by the handler but deliberately not stack parameters: delivery tuning whose defaults are
# sized for the Lambda (its timeout and Slack's limits). Each must still be read by the handler,
# so this list cannot go stale silently.
NOT_EXPOSED = {
    "DELIVERY_TIMEOUT_MS",
    "DELIVERY_MAX_ATTEMPTS",
    "DELIVERY_RETRY_BASE_MS",
    "DELIVERY_MAX_WAIT_MS",
    "DELIVERY_SAFETY_MARGIN_MS",
}
# Set by the Lambda runtime itself, so the template must not (and need not) provide them.
RUNTIME_ENV = re.compile(r"^(AWS_.*|LAMBDA_.*|_HANDLER|_X_AMZN_TRACE_ID|TZ|NODE_OPTIONS|NODE_PATH|LANG|PATH|LD_LIBRARY_PATH)$")

MONITORING_ACCOUNT, CENTRAL_REGION = "111111111111", "eu-west-1"
MEMBER_ACCOUNT = "222222222222"


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


# ---- tests --------------------------------------------------------------------------------
class LintTest(unittest.TestCase):
    def test_cfn_lint_reports_nothing(self):
        """Errors, warnings and informational findings: none (no rule is ignored)."""
        run_cfn_lint = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"
        result = subprocess.run(
            [sys.executable, "-c", run_cfn_lint, "--include-checks", "I", "--", str(MONITORING), str(MEMBER)],
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
        cls.res = cls.mon["Resources"]

    def test_both_rules_have_the_same_pattern_with_the_nine_sg_event_names(self):
        pattern = rule_pattern(self.mon, "SecurityGroupChangeRule")
        self.assertEqual(pattern, rule_pattern(self.mem, "ForwardSecurityGroupChanges"))
        self.assertEqual(
            pattern,
            {
                "source": ["aws.ec2"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventSource": ["ec2.amazonaws.com"], "eventName": SG_EVENT_NAMES},
            },
        )

    def test_function_is_the_packaged_zip_on_node_arm64(self):
        props = self.res["NotifierFunction"]["Properties"]
        self.assertEqual((LAMBDA_DIR / props["CodeUri"]).resolve(), REPO / "target/lambda/sgnotify-lambda.zip")
        self.assertEqual(props["Handler"], "index.handler")
        self.assertIn(props["Runtime"], ("nodejs20.x", "nodejs22.x"))
        self.assertEqual(props["Architectures"], ["arm64"])

    def test_failed_events_are_kept_and_alarmed(self):
        target = self.res["SecurityGroupChangeRule"]["Properties"]["Targets"][0]
        self.assertEqual(target["DeadLetterConfig"]["Arn"], {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]})
        self.assertTrue({"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= set(target["RetryPolicy"]))
        invoke = self.res["NotifierAsyncConfig"]["Properties"]
        self.assertEqual(invoke["FunctionName"], {"Ref": "NotifierFunction"})
        self.assertTrue({"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= set(invoke))
        self.assertEqual(invoke["DestinationConfig"]["OnFailure"]["Destination"], {"Fn::GetAtt": ["FunctionFailureQueue", "Arn"]})
        sub = self.res["NotificationSubscription"]["Properties"]
        self.assertEqual(sub["RedrivePolicy"]["deadLetterTargetArn"], {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]})

        alarmed = {}
        for res in self.res.values():
            if res["Type"] == "AWS::CloudWatch::Alarm":
                p = res["Properties"]
                alarmed[(p["Namespace"], p["MetricName"])] = alarmed.get((p["Namespace"], p["MetricName"]), []) + [
                    p["Dimensions"][0]["Value"]
                ]
        self.assertEqual(alarmed[("AWS/Lambda", "Errors")], [{"Ref": "NotifierFunction"}])
        self.assertCountEqual(
            alarmed[("AWS/SQS", "ApproximateNumberOfMessagesVisible")],
            [{"Fn::GetAtt": [q, "QueueName"]} for q in ("DeliveryDeadLetterQueue", "FunctionFailureQueue")],
        )

    def test_bus_policy_admits_only_the_organisation(self):
        stmt = self.res["OrganizationPutEventsPolicy"]["Properties"]["Statement"]
        self.assertEqual(stmt["Action"], "events:PutEvents")
        self.assertEqual(stmt["Condition"]["StringEquals"]["aws:PrincipalOrgID"], {"Ref": "OrganizationId"})

    def test_roles_grant_nothing_broad(self):
        for template, role in ((self.mon, "NotifierRole"), (self.mem, "ForwarderRole")):
            for policy in template["Resources"][role]["Properties"]["Policies"]:
                for stmt in policy["PolicyDocument"]["Statement"]:
                    stmts = [b for b in stmt["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}] if "Fn::If" in stmt else [stmt]
                    for s in stmts:
                        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
                        self.assertFalse([a for a in actions if "*" in a], f"{role}: {s}")
                        self.assertNotEqual(s["Resource"], "*", f"{role}: {s}")
                        if actions == ["kms:Decrypt"]:
                            self.assertIn("kms:ViaService", s["Condition"]["StringEquals"], f"{role}: {s}")

    def test_member_role_only_puts_events_on_the_rule_target_and_is_unnamed(self):
        role = self.mem["Resources"]["ForwarderRole"]["Properties"]
        # NOTE: no RoleName: a StackSet's per-region stacks of one account would collide on it.
        self.assertNotIn("RoleName", role)
        [stmt] = role["Policies"][0]["PolicyDocument"]["Statement"]
        target = self.mem["Resources"]["ForwardSecurityGroupChanges"]["Properties"]["Targets"][0]
        self.assertEqual((stmt["Action"], stmt["Resource"]), ("events:PutEvents", target["Arn"]))
        self.assertEqual(target["RoleArn"], {"Fn::GetAtt": ["ForwarderRole", "Arn"]})

    def test_member_template_hard_codes_no_account_or_region(self):
        body = json.dumps({k: self.mem[k] for k in ("Conditions", "Resources", "Outputs")})
        self.assertIsNone(re.search(r"\b\d{12}\b", body))
        self.assertIsNone(re.search(r"\b[a-z]{2}-[a-z]+-\d\b", body))
        self.assertNotIn("arn:aws:", body)  # partition from AWS::Partition (GovCloud, China)


class EnvironmentContractTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fn = load_template(MONITORING)["Resources"]["NotifierFunction"]["Properties"]
        cls.template_env = set(fn["Environment"]["Variables"])

    def test_template_sets_exactly_the_handler_contract(self):
        self.assertEqual(self.template_env, HANDLER_ENV)

    def test_handler_and_template_agree_on_every_variable(self):
        entry = LAMBDA_DIR / "index.mjs"
        if not entry.exists():
            print(f"\n  ({entry} does not exist yet: skipping the handler side)", end=" ", flush=True)
            self.skipTest("js/lambda/index.mjs does not exist yet")
        sources = handler_modules(entry)
        read = set()
        for src in sources:
            read |= env_names_read(src.read_text())
        read = {n for n in read if not RUNTIME_ENV.match(n)}
        self.assertTrue(read, f"found no environment reads in {sources}")
        self.assertEqual(read - self.template_env - NOT_EXPOSED, set(), "read by the handler, not set by template.yaml")
        self.assertEqual(self.template_env - read, set(), "set by template.yaml, never read by the handler")
        self.assertEqual(NOT_EXPOSED - read, set(), "NOT_EXPOSED lists variables the handler no longer reads")


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
    """The handler's own modules: index.mjs and the local modules it imports, transitively
    (not the demo and test scripts that live beside it)."""
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
    (us-west-2) forward to the monitoring account 111111111111's default bus in eu-west-1."""

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
    def _deploy(cls):
        c = cls.moto.client
        # The monitoring side: template.yaml's rule, with a queue standing in for the Lambda.
        cls.sink = cls._queue(MONITORING_ACCOUNT, CENTRAL_REGION, "central-rule-sink")
        events = c("events", MONITORING_ACCOUNT, CENTRAL_REGION)
        pattern = rule_pattern(load_template(MONITORING), "SecurityGroupChangeRule")
        events.put_rule(Name="sgnotify", EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule="sgnotify", Targets=[{"Id": "sink", "Arn": cls.sink[1]}])

        # The member side: member-account.yaml deployed by (moto's) CloudFormation, as the
        # StackSet would in each account and region. NOTE: moto's own YAML loader turns
        # `!Condition X` into {"Fn::Condition": X}, so it gets the template as JSON.
        body = json.dumps(load_template(MEMBER))
        params = [
            {"ParameterKey": "CentralAccountId", "ParameterValue": MONITORING_ACCOUNT},
            {"ParameterKey": "CentralRegion", "ParameterValue": CENTRAL_REGION},
        ]
        cls.stacks = {}
        for account, region in ((MEMBER_ACCOUNT, "us-east-1"), (MONITORING_ACCOUNT, "us-west-2"), (MONITORING_ACCOUNT, CENTRAL_REGION)):
            cf = c("cloudformation", account, region)
            cf.create_stack(StackName="sgnotify-member", TemplateBody=body, Parameters=params, Capabilities=["CAPABILITY_IAM"])
            deadline = time.monotonic() + 60
            while (status := cf.describe_stacks(StackName="sgnotify-member")["Stacks"][0]["StackStatus"]).endswith("IN_PROGRESS"):
                if time.monotonic() > deadline:
                    raise AssertionError(f"stack in {account}/{region} still {status} after 60 s")
                time.sleep(0.2)
            assert status == "CREATE_COMPLETE", f"{account}/{region}: {status}"
            resources = cf.list_stack_resources(StackName="sgnotify-member")["StackResourceSummaries"]
            cls.stacks[(account, region)] = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}

        # A second target on the member rule shows what the member pattern alone lets through.
        cls.tap = cls._queue(MEMBER_ACCOUNT, "us-east-1", "member-rule-tap")
        rule = cls.stacks[(MEMBER_ACCOUNT, "us-east-1")]["ForwardSecurityGroupChanges"]
        c("events", MEMBER_ACCOUNT, "us-east-1").put_targets(Rule=rule, Targets=[{"Id": "tap", "Arn": cls.tap[1]}])

    @classmethod
    def _queue(cls, account, region, name):
        sqs = cls.moto.client("sqs", account, region)
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return (sqs, arn, url)

    @staticmethod
    def _drain(queue):
        sqs, _, url = queue
        bodies = []
        for _ in range(100):  # bounded: a test puts one event at a time
            msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            bodies += [json.loads(m["Body"]) for m in msgs]
            if msgs:
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]
                sqs.delete_message_batch(QueueUrl=url, Entries=entries)
            if len(msgs) < 10:  # moto hands out everything visible at once
                return bodies
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
        tap = self._drain(self.tap)
        sink = self._drain(self.sink)
        return tap, sink

    def _assert_delivered_once(self, label, sink, event):
        self.assertEqual(len(sink), 1, f"{label}: reached the monitoring rule {len(sink)} times")
        self.assertEqual(sink[0]["detail"]["eventID"], event["detail"]["eventID"], label)
        self.assertEqual(sink[0]["detail-type"], "AWS API Call via CloudTrail", label)

    def test_every_fixture_event_is_forwarded_and_reaches_the_monitoring_rule_once(self):
        fixtures = fixture_events()
        self.assertGreaterEqual(len(fixtures), 20)
        seen = set()
        for label, event in fixtures:
            with self.subTest(fixture=label):
                self.assertIn(event["detail"]["eventName"], SG_EVENT_NAMES, "not an SG fixture?")
                tap, sink = self._route(MEMBER_ACCOUNT, "us-east-1", event)
                self.assertEqual(len(tap), 1, f"{label}: member rule matched {len(tap)} times")
                self._assert_delivered_once(label, sink, event)
                seen.add(event["detail"]["eventName"])
        self.assertGreaterEqual(len(seen), 6, seen)

    def test_event_names_without_fixtures_match_too(self):
        base = envelope(json.loads((FIXTURES / "aws-spotlight__AuthorizeSecurityGroupIngress__1.json").read_text()))
        for name in SG_EVENT_NAMES:
            event = derived_event(base, detail={"eventName": name})  # synthetic: real record, name changed
            with self.subTest(eventName=name):
                tap, sink = self._route(MEMBER_ACCOUNT, "us-east-1", event)
                self.assertEqual(len(tap), 1, name)
                self._assert_delivered_once(name, sink, event)

    def test_local_events_of_the_monitoring_account_reach_the_rule_once(self):
        """Central region: native on the bus (the member stack made no rule there, or every
        event would arrive twice). Other region: forwarded by the member stack."""
        # NOTE: moto's ListStackResources shows skipped resources as blank rows, so look at
        # what exists: in the central region only the monitoring rule; one role per forwarding
        # region (IAM is global: the monitoring account has one, from us-west-2).
        c = self.moto.client
        self.assertEqual([r["Name"] for r in c("events", MONITORING_ACCOUNT, CENTRAL_REGION).list_rules()["Rules"]], ["sgnotify"])
        for account, region in ((MONITORING_ACCOUNT, "us-west-2"), (MEMBER_ACCOUNT, "us-east-1")):
            [rule] = c("events", account, region).list_rules()["Rules"]
            targets = c("events", account, region).list_targets_by_rule(Rule=rule["Name"])["Targets"]
            self.assertIn(f"arn:aws:events:{CENTRAL_REGION}:{MONITORING_ACCOUNT}:event-bus/default", [t["Arn"] for t in targets])
            roles = c("iam", account, region).list_roles(PathPrefix="/sgnotify/")["Roles"]
            self.assertEqual(len(roles), 1, (account, roles))
        base = fixture_events()[0][1]
        for region in (CENTRAL_REGION, "us-west-2"):
            event = derived_event(base, region=region)
            with self.subTest(region=region):
                tap, sink = self._route(MONITORING_ACCOUNT, region, event)
                self.assertEqual(tap, [])
                self._assert_delivered_once(region, sink, event)

    def test_unrelated_events_are_rejected_by_both_rules(self):
        base = envelope(json.loads((FIXTURES / "aws-spotlight__AuthorizeSecurityGroupIngress__1.json").read_text()))
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
