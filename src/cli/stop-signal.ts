/**
 * Resolves on the first SIGTERM or SIGINT. Later ones are swallowed rather than left to Node's default
 * (exit at once): Ctrl-C reaches a process both from the terminal and from the npm or launcher parent,
 * and a second signal must not cut short the graceful stop the first one began.
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => resolve(signal);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
