// One line per stage, with timings, so a long `npm run link` shows progress.

/** Every finished stage of this process with its time, for the summary at the end. */
export const stageTimes: { name: string; seconds: number }[] = [];

export function stage(name: string, detail = ""): (result?: string) => void {
  const started = performance.now();
  process.stdout.write(`[link] ${name}${detail ? ` ${detail}` : ""} ...\n`);
  return (result = "done") => {
    const seconds = (performance.now() - started) / 1000;
    stageTimes.push({ name, seconds });
    process.stdout.write(`[link] ${name}: ${result} (${seconds.toFixed(1)}s)\n`);
  };
}

/** `[link]   12.3s  tools` lines, one per finished stage. */
export function formatStageTimes(): string {
  return stageTimes.map((t) => `[link] ${t.seconds.toFixed(1).padStart(8)}s  ${t.name}\n`).join("");
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export class StageError extends Error {
  constructor(readonly stageName: string, message: string) {
    super(`${stageName}: ${message}`);
  }
}
