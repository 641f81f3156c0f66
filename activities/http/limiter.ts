// Per-host politeness: a minimum interval between request starts and a cap on concurrent requests.
// The state lives in this worker process only; several workers each keep their own pace, so a host's
// total load grows with the number of workers (acceptable for the observatory's handful of workers).

export interface HostTurn {
  /** Ends the request's hold on a concurrency slot; safe to call more than once. */
  release(): void;
}

export interface AcquireOptions {
  /** Minimum time between the starts of two requests to this host. */
  intervalMs: number;
  maxConcurrent: number;
  /** Monotonic milliseconds. */
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Told before every wait, with how long and why. */
  onWait?: (ms: number, reason: string) => void;
}

interface Gate {
  active: number;
  waiters: Array<() => void>;
  /** Earliest clock value at which the next request may start. */
  nextStart: number;
  /** Why nextStart is where it is, for progress reports. */
  reason: string;
}

export class HostLimiter {
  private readonly gates = new Map<string, Gate>();

  private gate(host: string): Gate {
    let gate = this.gates.get(host);
    if (!gate) {
      gate = { active: 0, waiters: [], nextStart: Number.NEGATIVE_INFINITY, reason: "rate limit" };
      this.gates.set(host, gate);
    }
    return gate;
  }

  /** Waits for a free slot and for this request's start time, which it reserves. */
  async acquire(host: string, options: AcquireOptions): Promise<HostTurn> {
    const gate = this.gate(host);
    while (gate.active >= Math.max(1, options.maxConcurrent)) await new Promise<void>((resolve) => gate.waiters.push(resolve));
    gate.active += 1;
    let released = false;
    const turn: HostTurn = {
      release: () => {
        if (released) return;
        released = true;
        gate.active -= 1;
        gate.waiters.shift()?.();
      },
    };
    // Reserve the start time synchronously, so concurrent callers queue up one interval apart.
    const now = options.clock();
    const start = Math.max(now, gate.nextStart);
    const reason = gate.reason;
    gate.nextStart = start + options.intervalMs;
    gate.reason = "rate limit";
    const wait = start - now;
    if (wait > 0) {
      options.onWait?.(wait, reason);
      try {
        await options.sleep(wait);
      } catch (error) {
        turn.release();
        throw error;
      }
    }
    return turn;
  }

  /** Pushes the host's next start to at least `until` (after a 429/5xx, every request to it waits). */
  holdOff(host: string, until: number, reason: string): void {
    const gate = this.gate(host);
    if (until > gate.nextStart) {
      gate.nextStart = until;
      gate.reason = reason;
    }
  }
}
