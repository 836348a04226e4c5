// Coalmine viewer: the pages read fine without this. On the list, it notices new records (a local run
// finished while the page was open) and offers to reload; on an execution, hovering a decision
// highlights its markers in the charts.
(() => {
  'use strict';

  const list = document.querySelector('table.executions, .empty');
  if (list && location.pathname === '/') {
    const shown = document.querySelectorAll('table.executions tbody tr').length;
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
