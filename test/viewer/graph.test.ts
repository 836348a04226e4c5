import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphOf, layoutGraph, pathOf, renderGraph, transitionKey } from '../../src/viewer/graph.ts';

const ASL = JSON.parse(readFileSync(new URL('../../statemachine/canary.asl.json', import.meta.url), 'utf8')) as { StartAt: string; States: Record<string, unknown> };

function overlaps(a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Random workflows: a chain of states, each with a Next, sometimes a Choice or a Catch to any state. */
const workflows = fc.integer({ min: 1, max: 14 }).chain((count) =>
  fc.array(fc.record({ choice: fc.boolean(), extra: fc.nat({ max: count - 1 }), catchTo: fc.option(fc.nat({ max: count - 1 })) }), { minLength: count, maxLength: count }).map((specs) => {
    const names = specs.map((_, index) => `State number ${index}`);
    const states: Record<string, unknown> = {};
    specs.forEach((spec, index) => {
      const next = names[index + 1];
      if (spec.choice && next) states[names[index]!] = { Type: 'Choice', Choices: [{ Variable: '$.x', StringEquals: 'a', Next: names[spec.extra] }], Default: next };
      else states[names[index]!] = { Type: next ? 'Task' : 'Succeed', ...(next ? { Next: next } : {}), ...(spec.catchTo !== null && next ? { Catch: [{ ErrorEquals: ['States.ALL'], Next: names[spec.catchTo] }] } : {}) };
    });
    return { StartAt: names[0]!, States: states };
  }),
);

describe('graphOf', () => {
  it('reads every state and transition of the Coalmine state machine', () => {
    const graph = graphOf(ASL);

    expect(graph.states.map((state) => state.name).sort()).toEqual(Object.keys(ASL.States).sort());
    expect(graph.edges).toContainEqual({ from: 'Decide', to: 'Shift traffic', kind: 'choice', label: 'advance' });
    expect(graph.edges).toContainEqual({ from: 'Evaluate the canary', to: 'Roll back after an error', kind: 'catch' });
    // A Catch that leads where the state goes anyway is not drawn twice.
    expect(graph.edges.filter((edge) => edge.from === 'Announce the rollback')).toEqual([{ from: 'Announce the rollback', to: 'Regression or inconclusive?', kind: 'next' }]);
    expect(graph.edges.filter((edge) => edge.from === 'Regression or inconclusive?').map((edge) => edge.to).sort()).toEqual(['Restored after promotion', 'Rolled back', 'Rolled back: inconclusive', 'Rolled back: rejected']);
    // The wait for approval: answered it promotes, rejected it rolls back, unanswered it goes on to the next look.
    expect(graph.edges.filter((edge) => edge.from === 'Wait for approval').map((edge) => edge.to).sort()).toEqual(['Bake', 'Promote the candidate', 'Roll back', 'Roll back after an error']);
  });

  it('draws nothing, rather than failing, for something that is not ASL', () => {
    expect(graphOf({ hello: 'world' }).states).toEqual([]);
    expect(renderGraph(null, pathOf([]))).toContain('no state machine definition');
  });
});

describe('layoutGraph', () => {
  it('runs forward edges down and the evaluation loop back up', () => {
    const layout = layoutGraph(graphOf(ASL));
    const node = (name: string) => layout.nodes.find((candidate) => candidate.name === name)!;

    expect(node('Plan the canary').rank).toBe(0);
    expect(node('Decide').rank).toBeLessThan(node('Shift traffic').rank);
    expect(node('Bake').rank).toBeLessThan(node('Evaluate the canary').rank);
    const loop = layout.edges.find((edge) => edge.from === 'Evaluate the canary' && edge.to === 'Decide')!;
    expect(loop.back).toBe(true);
    for (const edge of layout.edges.filter((candidate) => !candidate.back)) expect(node(edge.to).rank).toBeGreaterThan(node(edge.from).rank);
  });

  it('never draws an edge through a state it skips: those run beside the states in between', () => {
    const layout = layoutGraph(graphOf(ASL));
    const node = (name: string) => layout.nodes.find((candidate) => candidate.name === name)!;
    const straight = layout.edges.filter((edge) => edge.path.includes(' C'));
    expect(straight.length).toBeGreaterThan(0);
    for (const edge of straight) {
      const from = node(edge.from);
      const to = node(edge.to);
      const low = Math.min(from.x + from.width / 2, to.x + to.width / 2);
      const high = Math.max(from.x + from.width / 2, to.x + to.width / 2);
      const crossed = layout.nodes.filter((state) => state.rank > from.rank && state.rank < to.rank && state.x < high && state.x + state.width > low);
      expect(crossed.map((state) => state.name), `${edge.from} → ${edge.to}`).toEqual([]);
    }
  });

  it('places every state of any workflow inside the picture, without overlaps', () => {
    fc.assert(
      fc.property(workflows, (definition) => {
        const layout = layoutGraph(graphOf(definition));
        expect(layout.nodes).toHaveLength(Object.keys(definition.States).length);
        for (const [index, a] of layout.nodes.entries()) {
          expect(a.x).toBeGreaterThanOrEqual(0);
          expect(a.y).toBeGreaterThanOrEqual(0);
          expect(a.x + a.width).toBeLessThanOrEqual(layout.width);
          expect(a.y + a.height).toBeLessThanOrEqual(layout.height);
          for (const b of layout.nodes.slice(index + 1)) expect(overlaps(a, b)).toBe(false);
        }
        for (const edge of layout.edges) expect(edge.path).toMatch(/^M[\d.-]+,[\d.-]+ /);
      }),
    );
  });
});

describe('pathOf and renderGraph', () => {
  const events = [
    { type: 'StateEntered', state: 'Plan the canary' },
    { type: 'StateExited', state: 'Plan the canary' },
    { type: 'StateEntered', state: 'Decide' },
    { type: 'StateEntered', state: 'Shift traffic' },
    { type: 'StateEntered', state: 'Bake' },
    { type: 'StateEntered', state: 'Evaluate the canary' },
    { type: 'StateEntered', state: 'Decide' },
    { type: 'StateEntered', state: 'Roll back' },
    { type: 'StateEntered', state: 'Announce the rollback' },
    { type: 'StateEntered', state: 'Regression or inconclusive?' },
    { type: 'StateEntered', state: 'Rolled back' },
  ];

  it('counts the visits and the transitions taken, and ends where the execution ended', () => {
    const path = pathOf(events);

    expect(path.visits.get('Decide')).toBe(2);
    expect(path.transitions.has(transitionKey('Evaluate the canary', 'Decide'))).toBe(true);
    expect(path.transitions.has(transitionKey('Decide', 'Promote the candidate'))).toBe(false);
    expect(path.finalState).toBe('Rolled back');
  });

  it('highlights the states and edges taken, and marks the final state', () => {
    const svg = renderGraph(ASL, pathOf(events));

    expect(svg).toMatch(/<g class="node node-choice visited" data-state="Decide">/);
    expect(svg).toMatch(/<g class="node node-task unvisited" data-state="Promote the candidate">/);
    expect(svg).toMatch(/<g class="node node-fail visited final" data-state="Rolled back">/);
    expect(svg).toMatch(/<g class="edge edge-next taken back" data-from="Evaluate the canary" data-to="Decide">/);
    expect(svg).toContain('×2');
  });

  it('escapes state names', () => {
    const svg = renderGraph({ StartAt: '<b>', States: { '<b>': { Type: 'Succeed' } } }, pathOf([]));

    expect(svg).toContain('&lt;b&gt;');
    expect(svg).not.toContain('<b>');
  });
});
