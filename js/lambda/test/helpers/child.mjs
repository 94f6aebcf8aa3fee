// Runs the Lambda handler in a child process, as the runtime would: the module loads with the
// given environment only, each event is invoked with a context whose time runs down, and
// everything the process prints is captured (to check that the webhook URL never appears).

import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

export const LAMBDA_DIR = fileURLToPath(new URL('../../', import.meta.url));
const RUNNER = fileURLToPath(new URL('./run-handler.mjs', import.meta.url));

/**
 * @param {{ env: Record<string,string>, events: object[], timeoutMs?: number, dir?: string, killAfterMs?: number }} o
 * @returns {Promise<{ results: object[], stdout: string, stderr: string, logs: object[], output: string, code: number }>}
 */
export function invokeInChild({ env, events, timeoutMs = 10_000, dir = LAMBDA_DIR, killAfterMs = 60_000, cwd }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, dir], {
      cwd: cwd ?? dir,
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let fd3 = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdio[3].on('data', (d) => (fd3 += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const results = fd3.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const logs = stdout.split('\n').filter(Boolean).map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return { unparsed: l };
        }
      });
      resolve({ results, stdout, stderr, logs, output: `${stdout}\n${stderr}\n${fd3}`, code });
    });
    child.stdin.end(JSON.stringify({ events, timeoutMs }));
  });
}

/** Fails if any part of the webhook URL (whole, path, any long segment) appears in the text. */
export function assertNoWebhookSecret(text, url) {
  const u = new URL(url);
  const parts = [u.href, u.pathname, ...u.pathname.split('/').filter((s) => s.length >= 8 && /[0-9A-Z]/.test(s))];
  for (const p of parts) assert.ok(!text.includes(p), `output contains a part of the webhook URL (${p.slice(0, 4)}…)`);
}

/** The outcome lines of a run: one per message (delivered / failed / dry-run). */
export const outcomeLines = (logs) => logs.filter((l) => ['delivered', 'failed', 'dry-run'].includes(l.status));
