/**
 * The state machine drawn from its ASL, laid out here (no library: the workflow has a dozen states),
 * with the states and transitions one execution took highlighted.
 *
 * Layout: depth-first search from `StartAt` marks the edges that close a loop (back edges); the
 * others rank each state by its longest path from the start; states within a rank are ordered by
 * the mean position of their neighbours (a few sweeps), then centred. Forward edges run down; back
 * edges run up along the right-hand side.
 */
import { attrs, escape } from './html.ts';

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch';

export interface GraphState {
  name: string;
  type: string;
  comment?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** For a Choice: the value it matches (`advance`, `rollback`, …). */
  label?: string;
}

export interface StateGraph {
  start: string;
  states: GraphState[];
  edges: GraphEdge[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The label of a Choice rule: the value it compares with, or the field it tests. */
function choiceLabel(rule: Json): string | undefined {
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Next' || key === 'Variable' || key === 'Comment') continue;
    if (key === 'IsPresent') return typeof rule.Variable === 'string' ? `${rule.Variable.split('.').at(-1)}` : 'present';
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return undefined;
}

/** States and transitions of an ASL definition (JSONPath or JSONata; nested Map/Parallel states are drawn as one). */
export function graphOf(definition: unknown): StateGraph {
  if (!isObject(definition) || !isObject(definition.States) || typeof definition.StartAt !== 'string') {
    return { start: '', states: [], edges: [] };
  }
  const states: GraphState[] = [];
  const edges: GraphEdge[] = [];
  for (const [name, raw] of Object.entries(definition.States)) {
    if (!isObject(raw)) continue;
    states.push({ name, type: typeof raw.Type === 'string' ? raw.Type : 'Task', ...(typeof raw.Comment === 'string' ? { comment: raw.Comment } : {}) });
    if (typeof raw.Next === 'string') edges.push({ from: name, to: raw.Next, kind: 'next' });
    if (Array.isArray(raw.Choices)) {
      for (const rule of raw.Choices) {
        if (isObject(rule) && typeof rule.Next === 'string') {
          const label = choiceLabel(rule);
          edges.push({ from: name, to: rule.Next, kind: 'choice', ...(label ? { label } : {}) });
        }
      }
    }
    if (typeof raw.Default === 'string') edges.push({ from: name, to: raw.Default, kind: 'default', label: 'otherwise' });
    if (Array.isArray(raw.Catch)) {
      for (const handler of raw.Catch) {
        if (isObject(handler) && typeof handler.Next === 'string') edges.push({ from: name, to: handler.Next, kind: 'catch' });
      }
    }
  }
  const known = new Set(states.map((state) => state.name));
  // Two rules of a Choice may lead to the same state: draw it once, with both labels.
  // A Catch that leads where the state goes anyway (the Announce states) adds nothing to the picture.
  const merged = new Map<string, GraphEdge>();
  const flows = new Set(edges.filter((edge) => edge.kind !== 'catch').map((edge) => `${edge.from}\u0000${edge.to}`));
  for (const edge of edges.filter((candidate) => known.has(candidate.to) && !(candidate.kind === 'catch' && flows.has(`${candidate.from}\u0000${candidate.to}`)))) {
    const key = `${edge.from}\u0000${edge.to}\u0000${edge.kind === 'catch' ? 'catch' : 'flow'}`;
    const existing = merged.get(key);
    if (existing) {
      if (edge.label && existing.label !== edge.label) existing.label = existing.label ? `${existing.label} / ${edge.label}` : edge.label;
    } else merged.set(key, { ...edge });
  }
  return { start: definition.StartAt, states, edges: [...merged.values()] };
}

export interface PlacedNode extends GraphState {
  rank: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge extends GraphEdge {
  back: boolean;
  path: string;
  labelAt?: { x: number; y: number; anchor: 'start' | 'middle' | 'end' };
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

const NODE_HEIGHT = 34;
const RANK_GAP = 58;
const NODE_GAP = 26;
const MARGIN = 20;
const CHAR_WIDTH = 6.9;

function nodeWidth(state: GraphState): number {
  return Math.max(96, Math.ceil(state.name.length * CHAR_WIDTH + 30));
}

/** Edges that close a loop, found by depth-first search from the start (then from any state not reached). */
function backEdges(graph: StateGraph): Set<GraphEdge> {
  const outgoing = new Map<string, GraphEdge[]>();
  for (const edge of graph.edges) outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge]);
  const back = new Set<GraphEdge>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string): void => {
    state.set(name, 'open');
    for (const edge of outgoing.get(name) ?? []) {
      const seen = state.get(edge.to);
      if (seen === 'open') back.add(edge);
      else if (seen === undefined) visit(edge.to);
    }
    state.set(name, 'done');
  };
  if (graph.start) visit(graph.start);
  for (const node of graph.states) if (!state.has(node.name)) visit(node.name);
  return back;
}

export function layoutGraph(graph: StateGraph): GraphLayout {
  const back = backEdges(graph);
  const forward = graph.edges.filter((edge) => !back.has(edge));
  const rank = new Map<string, number>(graph.states.map((state) => [state.name, 0]));
  // Longest path over the forward edges (a DAG): relax until nothing changes (|V| rounds at most).
  for (let round = 0; round < graph.states.length; round++) {
    let changed = false;
    for (const edge of forward) {
      const next = rank.get(edge.from)! + 1;
      if (next > rank.get(edge.to)!) {
        rank.set(edge.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const ranks: string[][] = [];
  for (const state of graph.states) (ranks[rank.get(state.name)!] ??= []).push(state.name);
  for (let index = 0; index < ranks.length; index++) ranks[index] ??= [];

  // Order within ranks by the barycentre of neighbours in the rank above, then below.
  // Catch edges go from almost everywhere to one state; they would pull every rank apart.
  const flow = forward.filter((edge) => edge.kind !== 'catch');
  const position = new Map<string, number>();
  const renumber = () => ranks.forEach((names) => names.forEach((name, index) => position.set(name, index)));
  renumber();
  const barycentre = (name: string, neighbours: (edge: GraphEdge) => string | undefined): number | undefined => {
    const positions = flow.map(neighbours).filter((other): other is string => other !== undefined).map((other) => position.get(other)!);
    return positions.length ? positions.reduce((sum, value) => sum + value, 0) / positions.length : undefined;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? ranks.slice(1) : ranks.slice(0, -1).reverse();
    for (const names of order) {
      const keyed = names.map((name, index) => ({
        name,
        key: barycentre(name, (edge) => (down ? (edge.to === name ? edge.from : undefined) : edge.from === name ? edge.to : undefined)) ?? index,
      }));
      keyed.sort((a, b) => a.key - b.key);
      names.splice(0, names.length, ...keyed.map((entry) => entry.name));
      renumber();
    }
  }

  const byName = new Map(graph.states.map((state) => [state.name, state]));
  const rowWidths = ranks.map((names) => names.reduce((sum, name) => sum + nodeWidth(byName.get(name)!), 0) + NODE_GAP * Math.max(0, names.length - 1));
  const contentWidth = Math.max(0, ...rowWidths);
  const nodes: PlacedNode[] = [];
  const placed = new Map<string, PlacedNode>();
  ranks.forEach((names, rankIndex) => {
    let x = MARGIN + (contentWidth - rowWidths[rankIndex]!) / 2;
    for (const name of names) {
      const state = byName.get(name)!;
      const node: PlacedNode = { ...state, rank: rankIndex, x, y: MARGIN + rankIndex * (NODE_HEIGHT + RANK_GAP), width: nodeWidth(state), height: NODE_HEIGHT };
      nodes.push(node);
      placed.set(name, node);
      x += node.width + NODE_GAP;
    }
  });

  // A back edge runs beside the states between its ends, on whichever side is nearer to them; so
  // does a forward edge that skips ranks and would otherwise cut through a state in between.
  const spanned = (from: PlacedNode, to: PlacedNode) => nodes.filter((node) => node.rank >= Math.min(from.rank, to.rank) && node.rank <= Math.max(from.rank, to.rank));
  const crossesAState = (from: PlacedNode, to: PlacedNode) => {
    if (to.rank - from.rank < 2) return false;
    const low = Math.min(from.x + from.width / 2, to.x + to.width / 2) - 4;
    const high = Math.max(from.x + from.width / 2, to.x + to.width / 2) + 4;
    return nodes.some((node) => node.rank > from.rank && node.rank < to.rank && node.x < high && node.x + node.width > low);
  };
  let leftLanes = 0;
  let rightLanes = 0;
  const backRoutes = new Map<GraphEdge, { side: 'left' | 'right'; lane: number }>();
  for (const edge of graph.edges) {
    const from = placed.get(edge.from)!;
    const to = placed.get(edge.to)!;
    if (!(back.has(edge) || to.rank <= from.rank || crossesAState(from, to))) continue;
    const between = spanned(from, to);
    const leftmost = Math.min(...between.map((node) => node.x));
    const rightmost = Math.max(...between.map((node) => node.x + node.width));
    const leftDetour = from.x - leftmost + (to.x - leftmost);
    const rightDetour = rightmost - (from.x + from.width) + (rightmost - (to.x + to.width));
    if (leftDetour <= rightDetour) backRoutes.set(edge, { side: 'left', lane: leftmost - 22 - leftLanes++ * 14 });
    else backRoutes.set(edge, { side: 'right', lane: rightmost + 22 + rightLanes++ * 14 });
  }
  // Make room on the left for lanes that need it.
  const shift = Math.max(0, ...[...backRoutes.values()].filter((route) => route.side === 'left').map((route) => MARGIN - route.lane + 4 + (route.side === 'left' ? 56 : 0)));
  if (shift > 0) {
    for (const node of nodes) node.x += shift;
    for (const route of backRoutes.values()) route.lane += shift;
  }

  const edges: PlacedEdge[] = graph.edges.map((edge) => {
    const from = placed.get(edge.from)!;
    const to = placed.get(edge.to)!;
    const route = backRoutes.get(edge);
    if (route && !(back.has(edge) || to.rank <= from.rank)) {
      // A forward edge that skips ranks: down into the gap below its state, along the gaps to the
      // lane, down the lane, and in through the gap above its target, never across a state.
      const gap = RANK_GAP / 2;
      const x1 = from.x + from.width / 2;
      const x2 = to.x + to.width / 2;
      const below = from.y + from.height + gap;
      const above = to.y - gap;
      return {
        ...edge,
        back: false,
        path: `M${x1},${from.y + from.height} V${below} H${route.lane} V${above} H${x2} V${to.y - 6}`,
        labelAt: { x: route.lane + (route.side === 'left' ? -4 : 4), y: (below + above) / 2, anchor: route.side === 'left' ? 'end' : 'start' },
      };
    }
    if (route) {
      const y1 = from.y + from.height / 2;
      const y2 = to.y + to.height / 2;
      const left = route.side === 'left';
      const x1 = left ? from.x : from.x + from.width;
      const x2 = left ? to.x - 6 : to.x + to.width + 6;
      const { lane } = route;
      const r = left ? 8 : -8;
      return {
        ...edge,
        back: true,
        // Out sideways, along the lane, and in again, with rounded corners.
        path: `M${x1},${y1} H${lane + r} Q${lane},${y1} ${lane},${y1 - Math.sign(y1 - y2) * r} V${y2 + Math.sign(y1 - y2) * r} Q${lane},${y2} ${lane + r},${y2} H${x2}`,
        labelAt: { x: lane + (left ? -4 : 4), y: (y1 + y2) / 2, anchor: left ? 'end' : 'start' },
      };
    }
    const x1 = from.x + from.width / 2;
    const y1 = from.y + from.height;
    const x2 = to.x + to.width / 2;
    const y2 = to.y - 6;
    const bend = Math.max(24, (y2 - y1) / 2);
    // Labels sit near the arrow's end, where edges from one Choice have fanned out.
    const t = 0.8;
    const u = 1 - t;
    const point = (a: number, b: number, c: number, d: number) => u * u * u * a + 3 * u * u * t * b + 3 * u * t * t * c + t * t * t * d;
    return {
      ...edge,
      back: false,
      path: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`,
      labelAt: { x: point(x1, x1, x2, x2), y: point(y1, y1 + bend, y2 - bend, y2), anchor: 'middle' },
    };
  });
  const width = shift + MARGIN * 2 + contentWidth + (rightLanes > 0 ? 30 + rightLanes * 14 : 0);
  const height = MARGIN * 2 + ranks.length * (NODE_HEIGHT + RANK_GAP) - RANK_GAP;
  return { nodes, edges, width, height };
}

/** What one execution did in the graph. */
export interface ExecutionPath {
  /** State name → how many times it was entered. */
  visits: Map<string, number>;
  /** `from → to` pairs that were taken. */
  transitions: Set<string>;
  /** The state the execution ended in. */
  finalState?: string;
  /** States that failed (their error was caught or ended the execution). */
  failed: Set<string>;
}

export const transitionKey = (from: string, to: string): string => `${from}\u0000${to}`;

/** The path from the execution's events: every state entered, in order. */
export function pathOf(events: readonly { type: string; state?: string | undefined }[]): ExecutionPath {
  const visits = new Map<string, number>();
  const transitions = new Set<string>();
  const failed = new Set<string>();
  let previous: string | undefined;
  for (const event of events) {
    if (!event.state) continue;
    if (event.type.endsWith('StateEntered')) {
      visits.set(event.state, (visits.get(event.state) ?? 0) + 1);
      if (previous !== undefined) transitions.add(transitionKey(previous, event.state));
      previous = event.state;
    } else if (/StateFailed|StateCaught|TaskFailed/.test(event.type)) {
      failed.add(event.state);
    }
  }
  return { visits, transitions, ...(previous !== undefined ? { finalState: previous } : {}), failed };
}

const TYPE_LABEL: Record<string, string> = { Task: 'task', Choice: 'choice', Wait: 'wait', Succeed: 'succeed', Fail: 'fail', Pass: 'pass', Map: 'map', Parallel: 'parallel' };

/** The id of a state's section of inputs and outputs on the execution page. */
export function stateAnchor(name: string): string {
  return `state-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

/** The graph as an SVG element, sized to fit; taken states and transitions highlighted. */
export function renderGraph(definition: unknown, path: ExecutionPath): string {
  const layout = layoutGraph(graphOf(definition));
  if (layout.nodes.length === 0) return '<p class="empty">This record has no state machine definition.</p>';
  const edgeSvg = [...layout.edges]
    // Untaken edges first, so the taken ones are drawn on top.
    .sort((a, b) => Number(path.transitions.has(transitionKey(a.from, a.to))) - Number(path.transitions.has(transitionKey(b.from, b.to))))
    .map((edge) => {
      const taken = path.transitions.has(transitionKey(edge.from, edge.to));
      const classes = ['edge', `edge-${edge.kind}`, taken ? 'taken' : 'untaken', edge.back ? 'back' : ''].filter(Boolean).join(' ');
      const label =
        edge.label && edge.labelAt
          ? `<text${attrs({ class: `edge-label${taken ? ' taken' : ''}`, x: edge.labelAt.x, y: edge.labelAt.y, 'text-anchor': edge.labelAt.anchor })}>${escape(edge.label)}</text>`
          : '';
      return `<g${attrs({ class: classes, 'data-from': edge.from, 'data-to': edge.to })}><path${attrs({ d: edge.path, 'marker-end': `url(#arrow-${taken ? 'taken' : 'untaken'})` })}/>${label}</g>`;
    })
    .join('');
  const nodeSvg = layout.nodes
    .map((node) => {
      const visits = path.visits.get(node.name) ?? 0;
      const isFinal = path.finalState === node.name;
      const classes = [
        'node',
        `node-${TYPE_LABEL[node.type] ?? 'task'}`,
        visits > 0 ? 'visited' : 'unvisited',
        isFinal ? 'final' : '',
        path.failed.has(node.name) ? 'failed' : '',
      ]
        .filter(Boolean)
        .join(' ');
      const radius = node.type === 'Choice' ? 17 : node.type === 'Succeed' || node.type === 'Fail' ? 17 : 6;
      const badgeWidth = 14 + String(visits).length * 7;
      const badge =
        visits > 1
          ? `<g class="badge"><rect${attrs({ x: node.x + node.width - badgeWidth / 2, y: node.y - 9, width: badgeWidth, height: 18, rx: 9 })}/><text${attrs({ x: node.x + node.width, y: node.y + 4, 'text-anchor': 'middle' })}>×${visits}</text></g>`
          : '';
      const title = `${node.name} (${node.type})${visits ? ` — entered ${visits}×` : ' — not entered'}${node.comment ? `\n${node.comment}` : ''}`;
      const shape =
        `<g${attrs({ class: classes, 'data-state': node.name })}><title>${escape(title)}</title>` +
        `<rect${attrs({ x: node.x, y: node.y, width: node.width, height: node.height, rx: radius })}/>` +
        `<text${attrs({ x: node.x + node.width / 2, y: node.y + node.height / 2 + 4, 'text-anchor': 'middle' })}>${escape(node.name)}</text>${badge}</g>`;
      // A visited state links to its inputs and outputs on the page.
      return visits > 0 ? `<a${attrs({ href: `#${stateAnchor(node.name)}`, class: 'state-link' })}>${shape}</a>` : shape;
    })
    .join('');
  const defs =
    '<defs>' +
    ['taken', 'untaken']
      .map((kind) => `<marker id="arrow-${kind}" class="arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`)
      .join('') +
    '</defs>';
  return `<svg${attrs({ class: 'graph', viewBox: `0 0 ${layout.width} ${layout.height}`, width: layout.width, height: layout.height, role: 'img', 'aria-label': 'State machine with the path this execution took' })}>${defs}${edgeSvg}${nodeSvg}</svg>`;
}
