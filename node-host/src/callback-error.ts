// A callback failure with eryx's error texts (the text Python's RuntimeError
// carries). Any other error thrown by a handler counts as "failed".

const prefixes = { invalid: "invalid arguments: ", failed: "execution failed: " } as const;

export class CallbackError extends Error {
  readonly kind: keyof typeof prefixes;
  constructor(kind: keyof typeof prefixes, detail: string) {
    super(prefixes[kind] + detail);
    this.kind = kind;
    this.name = "CallbackError";
  }
}

/** The text the guest receives for an error thrown by a callback handler. */
export function callbackErrorText(e: unknown): string {
  if (e instanceof CallbackError) return e.message;
  return prefixes.failed + (e instanceof Error ? e.message : String(e));
}
