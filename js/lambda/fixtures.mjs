// Real CloudTrail fixtures (tests/fixtures/events, attribution in tests/fixtures/SOURCES.md) and
// synthetic events (js/lambda/test/events), wrapped as the Lambda receives them: an EventBridge
// event, an SNS event, an SQS event. Used by the demo and the tests; not part of the deployment zip.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../../tests/fixtures/events/', import.meta.url);
const SYNTHETIC = new URL('./test/events/', import.meta.url);

/** A real fixture by file name without ".json", e.g. "panther__AuthorizeSecurityGroupIngress__2". */
export const fixture = (name) => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));

/** A synthetic event from js/lambda/test/events by file name without ".json". */
export const synthetic = (name) => JSON.parse(readFileSync(new URL(`${name}.json`, SYNTHETIC), 'utf8'));

// Stable ids derived from the content, so that runs print the same thing.
const idOf = (value, salt = '') => {
  const h = createHash('sha256').update(salt + JSON.stringify(value)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** A raw CloudTrail record as EventBridge delivers it ("AWS API Call via CloudTrail"); an EventBridge event as is. */
export function toEventBridge(recordOrEvent) {
  if (recordOrEvent['detail-type']) return recordOrEvent;
  const r = recordOrEvent;
  return {
    version: '0',
    id: idOf(r, 'eventbridge'),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: r.recipientAccountId ?? r.userIdentity?.accountId ?? '111122223333',
    time: r.eventTime,
    region: r.awsRegion,
    resources: [],
    detail: r,
  };
}

/** An SNS Lambda event, one record per message (EventBridge events, or strings sent as they are). */
export function snsEvent(messages, { topicArn = 'arn:aws:sns:us-east-1:111122223333:sgnotify' } = {}) {
  return {
    Records: messages.map((m, i) => {
      const Message = typeof m === 'string' ? m : JSON.stringify(toEventBridge(m));
      const MessageId = idOf(Message, `sns${i}`);
      return {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${idOf(topicArn)}`,
        Sns: {
          Type: 'Notification',
          MessageId,
          TopicArn: topicArn,
          Subject: null,
          Message,
          Timestamp: '2024-05-01T00:00:00.000Z',
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
          UnsubscribeUrl: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}`,
          MessageAttributes: {},
        },
      };
    }),
  };
}

/** An SQS Lambda event, one record per body (EventBridge events, or strings sent as they are). */
export function sqsEvent(bodies, { queueArn = 'arn:aws:sqs:us-east-1:111122223333:sgnotify' } = {}) {
  return {
    Records: bodies.map((b, i) => {
      const body = typeof b === 'string' ? b : JSON.stringify(toEventBridge(b));
      return {
        messageId: idOf(body, `sqs${i}`),
        receiptHandle: `AQEB${idOf(body, 'rh').replace(/-/g, '')}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '1714521600000',
          SenderId: 'AIDAEXAMPLE',
          ApproximateFirstReceiveTimestamp: '1714521600001',
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      };
    }),
  };
}

/** A Lambda context whose remaining time runs down from `timeoutMs`. */
export function lambdaContext(timeoutMs = 30_000, requestId = 'test-request-0001') {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: requestId,
    functionName: 'sgnotify',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}
