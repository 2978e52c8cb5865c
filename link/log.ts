// One line per stage, with timings, so a long `npm run link` shows progress.

export function stage(name: string, detail = ""): (result?: string) => void {
  const started = performance.now();
  process.stdout.write(`[link] ${name}${detail ? ` ${detail}` : ""} ...\n`);
  return (result = "done") => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`[link] ${name}: ${result} (${seconds}s)\n`);
  };
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
