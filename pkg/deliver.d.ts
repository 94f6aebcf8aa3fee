// Types for sgnotify/deliver: posting Slack payloads to an incoming webhook (Node.js 20+).

/** A webhook URL that cannot be used; the message names the setting and never shows the value. */
export class WebhookUrlError extends Error {
  readonly variable: string;
}

/** localhost, 127.0.0.0/8 and [::1]. */
export function isLoopbackHost(hostname: string): boolean;

/** Slack's own webhook hosts, accepted over https on port 443 without any setting. */
export const SLACK_WEBHOOK_HOSTS: readonly string[];

/** One SLACK_WEBHOOK_ALLOWED_HOSTS entry; without `port`, only the scheme's default port. */
export interface AllowedHost {
  hostname: string;
  port?: number;
}

/** Parses SLACK_WEBHOOK_ALLOWED_HOSTS (comma list of host or host:port). Throws WebhookUrlError naming `variable`. */
export function parseAllowedHosts(value: string | undefined, variable?: string): AllowedHost[];

/**
 * Parses a webhook URL: https to hooks.slack.com / hooks.slack-gov.com (port 443) or to a host in
 * `allowedHosts`; plain http only to a loopback host:port in `allowedHosts`; no user-info.
 * Throws WebhookUrlError naming `variable`, never showing the URL.
 */
export function parseWebhookUrl(value: string, variable?: string, options?: { allowedHosts?: string | AllowedHost[] }): URL;

/** The parts of a webhook URL that must never be shown (URL, path, query, long path segments). */
export function secretPartsOf(url: URL | string): string[];

/** Replaces every secret part of the given URLs in a text with "[redacted]". */
export function createRedactor(...urls: (URL | string | undefined)[]): (text: string) => string;

/** Retry-After in milliseconds: delta-seconds (digits only) or an HTTP date; anything else undefined. */
export function parseRetryAfter(header: string | null | undefined, now?: number): number | undefined;

/** Slack's answer for logs: redacted, then cut to 500 characters, trimmed. */
export function responseExcerpt(text: string, redact: (text: string) => string): string;

export interface DeliverOptions {
  url: URL | string;
  /** Epoch ms: no attempt starts and no wait ends after it (minus minAttemptMs). Default: none. */
  deadline?: number;
  /** One request's timeout. Default 10000. */
  timeoutMs?: number;
  /** Failed attempts per payload; a 429 is not one. Default 5. */
  maxAttempts?: number;
  /** 429s after which a payload fails even with time left (they do not use up maxAttempts). Default 20. */
  maxRateLimited?: number;
  /** At most this much random time is added to a 429's Retry-After. Default 1000. */
  rateLimitJitterMs?: number;
  /** Awaited before every POST (a pacer); false: no slot before `latest` (epoch ms), the payload is not sent. */
  beforeAttempt?: (latest: number) => Promise<boolean>;
  /** Told of each 429 and the wait chosen for it. */
  onRateLimited?: (waitMs: number) => void;
  /** First backoff step, doubled per attempt, with jitter. Default 500. */
  baseDelayMs?: number;
  /** Cap on any single wait, Retry-After included. Default 30000. */
  maxDelayMs?: number;
  /** An attempt with less time left than this is not started. Default 200. */
  minAttemptMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
}

export interface DeliveryOutcome {
  status: "delivered" | "failed";
  attempts: number;
  ms: number;
  httpStatus?: number;
  /** Slack's answer body (e.g. "ok", "invalid_payload", "no_service"), at most 500 characters. */
  response?: string;
  /** Why it failed; never contains the URL. */
  reason?: string;
  /** A 4xx (other than 429) or 3xx answer: retrying cannot help. */
  permanent?: boolean;
  retries: { attempt: number; problem: string; waitMs: number }[];
}

/**
 * Posts one payload, retrying 429 / 5xx / network errors / timeouts within the bounds. Never rejects.
 * A string is posted as is (e.g. a `body` from formatBodies); an object is sent as JSON.stringify gives it.
 */
export function deliver(payload: string | object, options: DeliverOptions): Promise<DeliveryOutcome>;

/** Posts payloads one after the other, in order. */
export function deliverAll(
  payloads: (string | object)[],
  options: DeliverOptions,
  onOutcome?: (outcome: DeliveryOutcome, index: number) => void,
): Promise<DeliveryOutcome[]>;
