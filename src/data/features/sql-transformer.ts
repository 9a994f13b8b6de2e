/** SQLTransformer (Spark ML): a SQL statement over the frame, named `__THIS__` in it. */

import { checkOptions } from '../../util/options.js';
import { DataFrame } from '../dataframe/index.js';
import type { SaveableTransformer, SavedStage } from './stage.js';

export interface SQLTransformerOptions {
  /** e.g. `SELECT *, age * 12 AS months FROM __THIS__` */
  statement: string;
}

/**
 * Runs a DuckDB SQL statement in which `__THIS__` stands for the input frame.
 *
 * @example
 * ```ts
 * const withRatio = await new SQLTransformer({ statement: 'SELECT *, income / age AS ratio FROM __THIS__' }).transform(df);
 * ```
 */
export class SQLTransformer implements SaveableTransformer {
  readonly stageName = 'SQLTransformer';
  readonly statement: string;

  constructor(options: SQLTransformerOptions) {
    checkOptions('SQLTransformer', options, ['statement'], { required: true });
    if (typeof options.statement !== 'string' || !options.statement.includes('__THIS__'))
      throw new TypeError('SQLTransformer: statement must be SQL text that reads __THIS__ (the input frame)');
    this.statement = options.statement;
  }

  async transform(frame: DataFrame): Promise<DataFrame> {
    const out = DataFrame.sql(this.statement.replaceAll('__THIS__', '"__THIS__"'), { __THIS__: frame });
    await out.schema().catch((e: Error) => {
      throw new Error(`SQLTransformer: ${e.message.replace(/^DataFrame\.\w+: /, '')} in: ${this.statement}`);
    });
    return out;
  }

  saved(): SavedStage {
    return { stage: this.stageName, params: { statement: this.statement } };
  }
}
