// Iterative walks of a run's flow tree: a parent chain 100,000 flows deep must not overflow the stack.
import type { FlowNode } from './types';

/** Flows in pre-order (roots and children in their own order), each with its parent's position. */
export interface FlowOrder {
  /** Every flow reachable from the roots once, parents before children. */
  readonly order: readonly FlowNode[];
  /** `parentAt[i]`: the index in `order` of `order[i]`'s parent; -1 for a root. */
  readonly parentAt: readonly number[];
}

/**
 * Pre-order of the flows under `roots`, without recursion; a flow reached twice (a cycle or a
 * shared child in damaged data) is listed once. Walking `order` backwards visits children
 * before their parents, which is how callers fold a state up to the ancestors.
 */
export function flowPreorder(roots: readonly FlowNode[]): FlowOrder {
  const order: FlowNode[] = [];
  const parentAt: number[] = [];
  const seen = new Set<FlowNode>();
  const stack: [FlowNode, number][] = roots.map((r): [FlowNode, number] => [r, -1]).reverse();
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [f, parent] = top;
    if (seen.has(f)) continue;
    seen.add(f);
    const at = order.push(f) - 1;
    parentAt.push(parent);
    for (let i = f.children.length - 1; i >= 0; i--) stack.push([f.children[i], at]);
  }
  return { order, parentAt };
}
