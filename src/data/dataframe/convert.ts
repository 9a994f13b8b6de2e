/**
 * DuckDB values to plain JS: numbers, strings, booleans, Date, null, arrays and objects. 64/128-bit
 * integers (BIGINT, HUGEINT, UBIGINT; what `count(*)` and `sum` return) become `number` when the
 * value is a safe integer (|v| <= 2^53 - 1) and stay `bigint` otherwise, so no value ever loses
 * precision and ordinary counts are plain numbers.
 */
import {
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  JSDuckDBValueConverter,
} from '@duckdb/node-api';

const WIDE = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.BIGNUM,
]);
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** The converter used by every DataFrame read. */
export const toJS: DuckDBValueConverter<unknown> = (value: DuckDBValue, type: DuckDBType) => {
  if (value === null || value === undefined) return null;
  const out = (JSDuckDBValueConverter as unknown as DuckDBValueConverter<unknown>)(value, type, toJS);
  if (WIDE.has(type.typeId) && typeof out === 'bigint' && out <= MAX && out >= -MAX) return Number(out);
  return out;
};
