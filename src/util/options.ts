/**
 * Checks of public options objects at the call: unknown keys (with a "did you mean" for near misses),
 * and values outside an allowed set. Every message names the caller, the option and what is allowed.
 */

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest of `candidates` to `word`, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== null && bestDistance <= limit ? best : null;
}

/** ` (did you mean 'x'?)` or nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c ? ` (did you mean '${c}'?)` : '';
}

/**
 * Throws when `options` is not a plain object or has a key outside `allowed`.
 *
 * @example
 * ```ts
 * checkOptions('Conv2d', { paddingg: 1 }, ['stride', 'padding']);
 * // Error: Conv2d: unknown option 'paddingg' (did you mean 'padding'?); options are: stride, padding
 * ```
 */
export function checkOptions(
  where: string,
  options: unknown,
  allowed: readonly string[],
  { required = false }: { required?: boolean } = {},
): void {
  if (options === undefined && required)
    throw new TypeError(`${where}: options are required: { ${allowed.join(', ')} }`);
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(
        `${where}: unknown option '${key}'${didYouMean(key, allowed)}; options are: ${allowed.join(', ')}`,
      );
    }
  }
}

/** Throws unless `value` is one of `allowed`; returns it typed. */
export function checkChoice<T extends string>(where: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
  throw new RangeError(
    `${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}${hint}`,
  );
}

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return String(value);
}

/** Throws unless `value` is an integer >= `min`; returns it. */
export function checkInt(where: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new RangeError(`${where}: ${name} must be an integer >= ${min}, got ${describeValue(value)}`);
  return value;
}
