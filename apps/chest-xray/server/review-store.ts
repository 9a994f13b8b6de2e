/**
 * Reviews in a DuckDB file: one row per verdict a reviewer gave (agree / disagree with the model on one
 * finding of one study, with an optional note), never updated in place, so the file is also the audit
 * trail; the current review of a finding is its latest row. Survives restarts; exports as CSV.
 */
import { Session } from '../../../src/data/dataframe/session.js';

export type Verdict = 'agree' | 'disagree';

export interface Review {
  studyId: string;
  finding: string;
  verdict: Verdict;
  note: string;
  reviewer: string;
  /** ISO 8601 */
  at: string;
}

const CSV_COLUMNS = ['study_id', 'finding', 'verdict', 'note', 'reviewer', 'reviewed_at'] as const;

function csvCell(v: string): string {
  // a leading = + - @ would be a formula in a spreadsheet: quote it with a ' in front
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * @example
 * ```ts
 * const store = await ReviewStore.open('runs/cxr/reviews.duckdb');
 * await store.add({ studyId: '00000013_005', finding: 'Mass', verdict: 'agree', note: '', reviewer: 'dr-a' });
 * (await store.current('00000013_005')).Mass?.verdict; // 'agree'
 * ```
 */
export class ReviewStore {
  private constructor(private readonly session: Session) {}

  static async open(path: string): Promise<ReviewStore> {
    const session = new Session(path, { threads: '1' });
    await session.run(
      'CREATE TABLE IF NOT EXISTS reviews (study_id VARCHAR NOT NULL, finding VARCHAR NOT NULL, verdict VARCHAR NOT NULL, note VARCHAR NOT NULL, reviewer VARCHAR NOT NULL, reviewed_at TIMESTAMP NOT NULL)',
    );
    return new ReviewStore(session);
  }

  async add(r: Omit<Review, 'at'>): Promise<Review> {
    const at = new Date().toISOString();
    await this.session.run(
      'INSERT INTO reviews VALUES ($study, $finding, $verdict, $note, $reviewer, CAST($at AS TIMESTAMP))',
      { study: r.studyId, finding: r.finding, verdict: r.verdict, note: r.note, reviewer: r.reviewer, at },
    );
    // make the row durable now, not at the next automatic checkpoint
    await this.session.run('CHECKPOINT');
    return { ...r, at };
  }

  /** The latest review of each finding of a study, by finding. */
  async current(studyId: string): Promise<Record<string, Review>> {
    const result = await this.session.run(
      `SELECT study_id, finding, verdict, note, reviewer, strftime(reviewed_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS reviewed_at FROM reviews WHERE study_id = $study
       QUALIFY row_number() OVER (PARTITION BY finding ORDER BY reviewed_at DESC, rowid DESC) = 1`,
      { study: studyId },
    );
    const out: Record<string, Review> = {};
    for (const row of await result.getRowObjectsJS()) {
      const r = toReview(row);
      out[r.finding] = r;
    }
    return out;
  }

  /** Number of reviewed findings per study (the worklist shows which studies are done). */
  async reviewedCounts(): Promise<Map<string, number>> {
    const result = await this.session.run(
      'SELECT study_id, count(DISTINCT finding) AS n FROM reviews GROUP BY study_id',
    );
    const out = new Map<string, number>();
    for (const row of await result.getRowObjectsJS()) out.set(String(row.study_id), Number(row.n));
    return out;
  }

  /** Every review ever given, oldest first, as CSV (header study_id,finding,verdict,note,reviewer,reviewed_at). */
  async exportCsv(): Promise<string> {
    const result = await this.session.run(
      "SELECT study_id, finding, verdict, note, reviewer, strftime(reviewed_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS reviewed_at FROM reviews ORDER BY reviewed_at, rowid",
    );
    const lines = [CSV_COLUMNS.join(',')];
    for (const row of await result.getRowObjectsJS()) {
      lines.push(CSV_COLUMNS.map((c) => csvCell(String(row[c] ?? ''))).join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

function toReview(row: Record<string, unknown>): Review {
  return {
    studyId: String(row.study_id),
    finding: String(row.finding),
    verdict: row.verdict === 'disagree' ? 'disagree' : 'agree',
    note: String(row.note ?? ''),
    reviewer: String(row.reviewer ?? ''),
    at: String(row.reviewed_at),
  };
}
