/**
 * Apache Arrow interchange (the apache-arrow package): Arrow tables and IPC bytes to columns of JS values
 * with the DuckDB types their Arrow types name, and DataFrame columns back to an Arrow table.
 */
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  List,
  Table,
  TimestampMicrosecond,
  Type,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';

/** DuckDB's SQL type for an Arrow type; throws (naming the column) for one DataFrames do not hold. */
function duckType(column: string, t: DataType): string {
  const d = t.typeId === Type.Dictionary ? (t as unknown as { dictionary: DataType }).dictionary : t;
  const unsupported = () =>
    new Error(`DataFrame.fromArrow: column "${column}" has Arrow type ${String(t)}, not supported`);
  switch (d.typeId) {
    case Type.Int: {
      const { bitWidth, isSigned } = d as unknown as { bitWidth: number; isSigned: boolean };
      const name = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' }[bitWidth];
      if (!name) throw unsupported();
      return isSigned ? name : `U${name}`;
    }
    case Type.Float:
      return (d as unknown as { precision: number }).precision === 2 ? 'DOUBLE' : 'FLOAT';
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'VARCHAR';
    case Type.Bool:
      return 'BOOLEAN';
    case Type.Binary:
    case Type.LargeBinary:
      return 'BLOB';
    case Type.Date:
      return 'DATE';
    case Type.Timestamp:
      return 'TIMESTAMP';
    case Type.List: {
      const child = (d as unknown as { children: Field[] }).children[0] as Field;
      const inner = duckType(column, child.type);
      if (!/INT|FLOAT|DOUBLE/.test(inner)) throw unsupported();
      return `${inner}[]`;
    }
    default:
      throw unsupported();
  }
}

/** One Arrow value as the JS value DataFrame.fromColumns takes. */
function jsValue(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (t.typeId === Type.Date || t.typeId === Type.Timestamp) return new Date(Number(v));
  if (t.typeId === Type.List) return Array.from(v as Vector, (x) => (x === null ? null : Number(x)));
  return v;
}

/** An Arrow table's columns as JS values, and the DuckDB type of each (from the Arrow schema). */
export function arrowToColumns(table: Table): { columns: Record<string, unknown[]>; types: Record<string, string> } {
  const columns: Record<string, unknown[]> = {};
  const types: Record<string, string> = {};
  for (const field of table.schema.fields) {
    if (field.name in columns) throw new Error(`DataFrame.fromArrow: column "${field.name}" appears twice`);
    types[field.name] = duckType(field.name, field.type);
    const vector = table.getChild(field.name) as Vector;
    const values = new Array<unknown>(vector.length);
    for (let i = 0; i < vector.length; i++) values[i] = jsValue(vector.get(i), field.type);
    columns[field.name] = values;
  }
  return { columns, types };
}

const SCALARS: Record<string, () => DataType> = {
  TINYINT: () => new Int8(),
  SMALLINT: () => new Int16(),
  INTEGER: () => new Int32(),
  BIGINT: () => new Int64(),
  UTINYINT: () => new Uint8(),
  USMALLINT: () => new Uint16(),
  UINTEGER: () => new Uint32(),
  UBIGINT: () => new Uint64(),
  FLOAT: () => new Float32(),
  DOUBLE: () => new Float64(),
  VARCHAR: () => new Utf8(),
  BOOLEAN: () => new Bool(),
  BLOB: () => new Binary(),
  DATE: () => new DateDay(),
  TIMESTAMP: () => new TimestampMicrosecond(),
};

/** The Arrow type for a DuckDB type name; throws (naming the column) for others. */
function arrowType(column: string, duck: string): DataType {
  if (duck.endsWith('[]')) return new List(new Field('item', arrowType(column, duck.slice(0, -2)), true));
  const make = SCALARS[duck];
  if (!make) throw new Error(`DataFrame.toArrow: column "${column}" has type ${duck}, which has no Arrow mapping here`);
  return make();
}

const WIDE = new Set(['BIGINT', 'UBIGINT']);

/** A value read from DuckDB as vectorFromArray takes it for that Arrow type. */
function arrowValue(v: unknown, duck: string): unknown {
  if (v === null || v === undefined) return null;
  if (WIDE.has(duck)) return BigInt(v as number | bigint);
  if (duck.endsWith('[]')) {
    const inner = duck.slice(0, -2);
    return (v as unknown[]).map((x) => arrowValue(x, inner));
  }
  return v;
}

/** Columns read from a DataFrame, with their DuckDB types, as an Arrow table. */
export function columnsToArrow(columns: Record<string, unknown[]>, types: { name: string; type: string }[]): Table {
  const vectors: Record<string, Vector> = {};
  for (const { name, type } of types) {
    const t = arrowType(name, type);
    vectors[name] = vectorFromArray(
      (columns[name] ?? []).map((v) => arrowValue(v, type)),
      t,
    ) as Vector;
  }
  return new Table(vectors);
}
