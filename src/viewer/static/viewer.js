// Coalmine viewer: the pages read fine without this. On the list, it notices new records (a local run
// finished while the page was open) and offers to reload; on an execution, hovering a decision
// highlights its markers in the charts.
(() => {
  'use strict';

  const list = document.querySelector('table.executions, .empty');
  if (list && location.pathname === '/') {
    // The page knows how many records there were when it was drawn, whatever its filters and page.
    const shown = Number(document.querySelector('h1')?.getAttribute('data-total') ?? '0');
    const check = async () => {
      try {
        const response = await fetch('/api/executions', { cache: 'no-store' });
        const body = await response.json();
        if (body.executions.length !== shown && !document.querySelector('.fresh')) {
          const note = document.createElement('a');
          note.className = 'fresh';
          note.href = '/';
          note.textContent = `${body.executions.length - shown > 0 ? body.executions.length - shown : 'Some'} new execution(s) — reload`;
          document.querySelector('h1')?.after(note);
        }
      } catch {
        // The console was stopped; nothing to do.
      }
    };
    setInterval(check, 5000);
  }

  // A state clicked in the graph (a link to #state-…) opens its inputs and outputs.
  const openState = () => {
    const target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.tagName === 'DETAILS') {
      target.open = true;
      target.scrollIntoView({ block: 'start' });
    }
  };
  window.addEventListener('hashchange', openState);
  openState();

  // Rows stand for runs of decisions (data-from..data-to); markers carry their decision's index.
  const markers = Array.from(document.querySelectorAll('svg.chart g.marker'));
  document.querySelectorAll('table.decisions tbody tr').forEach((row) => {
    const from = Number(row.getAttribute('data-from'));
    const to = Number(row.getAttribute('data-to'));
    const related = markers.filter((marker) => {
      const index = Number(marker.getAttribute('data-index'));
      return index >= from && index <= to;
    });
    row.addEventListener('mouseenter', () => related.forEach((marker) => marker.classList.add('active')));
    row.addEventListener('mouseleave', () => related.forEach((marker) => marker.classList.remove('active')));
  });
})();
