// Synthetic inputs for the benchmarks and hostile tests (not real events: real ones are in
// tests/fixtures/events). The scaling event matches synthetic() in tests/bench/core.rs.

/** An EventBridge AuthorizeSecurityGroupIngress event with `n` IPv4 sources. */
export function syntheticEvent(n) {
  const items = [];
  for (let i = 0; i < n; i++) {
    items.push({ cidrIp: `10.${(i >> 8) & 255}.${i & 255}.0/24`, description: `office ${i}` });
  }
  return {
    version: '0',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: '111122223333',
    region: 'eu-west-1',
    detail: {
      eventVersion: '1.08',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      eventTime: '2024-03-10T06:30:00Z',
      eventID: '00000000-0000-4000-8000-000000000000',
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.7',
      userAgent: 'bench',
      recipientAccountId: '111122223333',
      userIdentity: { type: 'IAMUser', userName: 'bench', accountId: '111122223333' },
      requestParameters: {
        groupId: 'sg-0123456789abcdef0',
        ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipRanges: { items } }] },
      },
    },
  };
}
