import { readFile } from 'node:fs/promises';

async function cpuTimes(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * Waits until the machine's cores are mostly idle for a second, or `withinMs` passes; returns the busy
 * fraction of the last second. The stack's JVMs keep compiling for a while after they answer, and on
 * two cores that delays the timers of whatever a timing test measures.
 */
export async function quietMachine(options: { busyBelow?: number; withinMs?: number } = {}): Promise<number> {
  const busyBelow = options.busyBelow ?? 0.3;
  const until = performance.now() + (options.withinMs ?? 60_000);
  let before = await cpuTimes();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await cpuTimes();
    const busy = (now.busy - before.busy) / Math.max(1, now.total - before.total);
    if (busy < busyBelow || performance.now() > until) return busy;
    before = now;
  }
}
