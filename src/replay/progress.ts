import cliProgress from 'cli-progress';

export interface Progress {
  tick(): void;
  stop(): void;
}

/**
 * A progress bar with rate and ETA on a terminal; plain progress lines (every 2 s) when the output
 * is a file or a pipe, so logs and CI show progress without control characters.
 */
export function startProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  let done = 0;
  const started = Date.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0' });
    return {
      tick: () => bar.update(++done, { rate: (done / Math.max(0.001, (Date.now() - started) / 1_000)).toFixed(0) }),
      stop: () => bar.stop(),
    };
  }
  const line = () => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1_000);
    const rate = done / seconds;
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    stream.write(`${label}: ${done}/${total} (${total ? Math.floor((done * 100) / total) : 100}%), ${rate.toFixed(0)}/s, ETA ${eta}s\n`);
  };
  const timer = setInterval(line, 2_000).unref();
  return {
    tick: () => void done++,
    stop: () => {
      clearInterval(timer);
      line();
    },
  };
}
