// Types for sgnotify/deliver: posting Slack payloads to an incoming webhook (Node.js 20+).

/** A webhook URL that cannot be used; the message names the setting and never shows the value. */
export class WebhookUrlError extends Error {
  readonly variable: string;
}

/** localhost, 127.0.0.0/8 and [::1]. */
export function isLoopbackHost(hostname: string): boolean;

/** Parses a webhook URL: https, or plain http to a loopback host. Throws WebhookUrlError naming `variable`. */
export function parseWebhookUrl(value: string, variable?: string): URL;

/** The parts of a webhook URL that must never be shown (URL, path, query, long path segments). */
export function secretPartsOf(url: URL | string): string[];

/** Replaces every secret part of the given URLs in a text with "[redacted]". */
export function createRedactor(...urls: (URL | string | undefined)[]): (text: string) => string;

/** Retry-After (delta-seconds or HTTP date) in milliseconds. */
export function parseRetryAfter(header: string | null | undefined, now?: number): number | undefined;

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

/** Posts one payload, retrying 429 / 5xx / network errors / timeouts within the bounds. Never rejects. */
export function deliver(payload: object, options: DeliverOptions): Promise<DeliveryOutcome>;

/** Posts payloads one after the other, in order. */
export function deliverAll(
  payloads: object[],
  options: DeliverOptions,
  onOutcome?: (outcome: DeliveryOutcome, index: number) => void,
): Promise<DeliveryOutcome[]>;
