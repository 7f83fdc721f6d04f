/** Runs `read` at once, then every `intervalMs`, never two at a time; the timer doesn't keep the process alive. */
export function pollEvery(intervalMs: number, read: () => Promise<void>): { stop(): void } {
  let running = read();
  const timer = setInterval(() => {
    running = running.then(read);
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
