/** The server's Prometheus metrics, kept in memory and written as Prometheus' text format. */

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Gauges read at scrape time, per model. */
export interface ModelGauges {
  queueDepth: number;
  workers: number;
  batchSizes?: ReadonlyMap<number, number>;
}

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class ServerMetrics {
  /** `${model}\t${status}` -> count */
  readonly #requests = new Map<string, number>();
  /** model -> [bucket counts..., +Inf], sum */
  readonly #latency = new Map<string, { counts: number[]; sum: number; n: number }>();

  /** Records one finished request. */
  observe(model: string, status: number, seconds: number): void {
    const key = `${model}\t${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(model);
    if (!h) {
      h = { counts: new Array(LATENCY_BUCKETS.length).fill(0), sum: 0, n: 0 };
      this.#latency.set(model, h);
    }
    LATENCY_BUCKETS.forEach((b, i) => {
      if (seconds <= b) (h.counts[i] as number)++;
    });
    h.sum += seconds;
    h.n++;
  }

  /** Prometheus text exposition (version 0.0.4). */
  render(gauges: Record<string, ModelGauges>): string {
    const out: string[] = [];
    out.push('# HELP tszoo_requests_total Prediction requests by model and HTTP status.');
    out.push('# TYPE tszoo_requests_total counter');
    for (const [key, n] of this.#requests) {
      const [model, status] = key.split('\t') as [string, string];
      out.push(`tszoo_requests_total{model="${label(model)}",status="${status}"} ${n}`);
    }
    out.push('# HELP tszoo_request_duration_seconds Prediction request latency.');
    out.push('# TYPE tszoo_request_duration_seconds histogram');
    for (const [model, h] of this.#latency) {
      const m = label(model);
      LATENCY_BUCKETS.forEach((b, i) => {
        out.push(`tszoo_request_duration_seconds_bucket{model="${m}",le="${b}"} ${h.counts[i]}`);
      });
      out.push(`tszoo_request_duration_seconds_bucket{model="${m}",le="+Inf"} ${h.n}`);
      out.push(`tszoo_request_duration_seconds_sum{model="${m}"} ${h.sum}`);
      out.push(`tszoo_request_duration_seconds_count{model="${m}"} ${h.n}`);
    }
    out.push('# HELP tszoo_batches_total Batches run, by the number of requests in them.');
    out.push('# TYPE tszoo_batches_total counter');
    for (const [model, g] of Object.entries(gauges)) {
      for (const [size, n] of g.batchSizes ?? [])
        out.push(`tszoo_batches_total{model="${label(model)}",size="${size}"} ${n}`);
    }
    out.push('# HELP tszoo_queue_depth Requests waiting for a model worker.');
    out.push('# TYPE tszoo_queue_depth gauge');
    for (const [model, g] of Object.entries(gauges))
      out.push(`tszoo_queue_depth{model="${label(model)}"} ${g.queueDepth}`);
    out.push('# HELP tszoo_workers Model workers alive.');
    out.push('# TYPE tszoo_workers gauge');
    for (const [model, g] of Object.entries(gauges)) out.push(`tszoo_workers{model="${label(model)}"} ${g.workers}`);
    return `${out.join('\n')}\n`;
  }
}
