import cliProgress from 'cli-progress';

/** A labelled progress bar on stderr; on a non-TTY (CI, pipes) it prints one line per update instead. */
export function progressBar(label: string, total: number) {
  const bar = new cliProgress.SingleBar(
    { format: `${label.padEnd(28)} {bar} {value}/{total} {item}`, stream: process.stderr, hideCursor: true, noTTYOutput: true, notTTYSchedule: 10_000 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { item: '' });
  return {
    update(value: number, item: string) {
      bar.update(value, { item });
    },
    stop() {
      bar.stop();
    },
  };
}
