/** A metric evaluated per class, with the classes where it is undefined flagged. */
export interface PerClass {
  /** one value per class; NaN where undefined */
  perClass: number[];
  /** mean over the defined classes (NaN when none is) */
  mean: number;
  /** classes where the metric is undefined (e.g. only one label value among the rows) */
  undefinedClasses: number[];
}

/** Builds a {@link PerClass} from per-class values, NaN meaning undefined. */
export function perClassResult(values: number[]): PerClass {
  const undefinedClasses: number[] = [];
  let sum = 0;
  values.forEach((v, c) => {
    if (Number.isNaN(v)) undefinedClasses.push(c);
    else sum += v;
  });
  const defined = values.length - undefinedClasses.length;
  return { perClass: values, mean: defined > 0 ? sum / defined : Number.NaN, undefinedClasses };
}
