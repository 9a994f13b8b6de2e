/** Test helper: counts the calls in which a graph's inference-path runners took a node or declined it. */
import type { OnnxGraph } from './graph.js';
import type { GraphNode } from './graph-types.js';

/**
 * Wraps each node's `blocked` or `prepacked` runner; every call adds one to `keyOf(node, took)`, where
 * `took` says the runner computed the node (a non-null result) rather than leaving it to the fallback.
 * Turns the graph's native plan off (see OnnxGraph.nativePlan).
 */
export function spyOnRunners(
  graph: OnnxGraph,
  which: 'blocked' | 'prepacked',
  keyOf: (node: GraphNode, took: boolean) => string,
): Map<string, number> {
  const counts = new Map<string, number>();
  // the runners only run node by node; the whole-graph native plan would bypass them
  graph.nativePlan = false;
  for (const node of graph.nodes) {
    const runner = node.run[which] as ((...a: unknown[]) => unknown) | undefined;
    if (!runner) continue;
    const spy = (...args: unknown[]) => {
      const out = runner(...args);
      const key = keyOf(node, Boolean(out));
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return out;
    };
    Object.assign(node.run, { [which]: spy });
  }
  return counts;
}
