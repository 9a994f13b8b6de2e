/** Runs a `cxr` command's main in this process with what it prints captured, for the tests. */

/**
 * Calls `main(argv)` with the strings it writes to stdout captured; bytes (the test runner's own
 * reports) pass through.
 */
export async function runCommand(
  main: (argv: string[]) => Promise<number>,
  argv: string[],
): Promise<{ status: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    if (typeof chunk !== 'string') return write(chunk);
    text += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    return { status: await main(argv), out: text };
  } finally {
    process.stdout.write = write;
  }
}
