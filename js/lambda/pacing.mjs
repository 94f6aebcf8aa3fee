// Paces Slack posts per destination (each webhook has its own limit): a token bucket kept as the
// time the next post is due (GCRA), so that reservations queue fairly inside one instance and a
// 429's Retry-After can push the whole destination back, not only the message that met it.

/**
 * @param {{ perSecond: number, burst?: number, now?: () => number }} options
 */
export function createPacer({ perSecond, burst = 1, now = Date.now }) {
  const interval = 1000 / perSecond;
  const tolerance = (Math.max(1, burst) - 1) * interval;
  const due = new Map(); // destination -> theoretical arrival time of the next post

  return {
    /**
     * Reserves the next slot of a destination. Returns the wait in ms, or undefined (nothing
     * reserved) when the slot would start later than `latest` (epoch ms).
     */
    reserve(destination, latest = Infinity) {
      const t = now();
      const tat = Math.max(due.get(destination) ?? t, t);
      const wait = Math.max(0, tat - tolerance - t);
      if (t + wait > latest) return undefined;
      due.set(destination, tat + interval);
      return wait;
    },
    /** Gives back a slot reserved and not used. */
    release(destination) {
      if (due.has(destination)) due.set(destination, due.get(destination) - interval);
    },
    /** Slack said wait `ms`: no post to this destination starts before then. */
    pause(destination, ms) {
      const t = now();
      due.set(destination, Math.max(due.get(destination) ?? t, t + ms + tolerance));
    },
  };
}
