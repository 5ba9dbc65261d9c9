// syncd's pages follow /api/events, the worker's Server-Sent Events:
// the progress of each running sync (rows, rate, estimate, as
// `syncd enqueue --wait` prints them) and, when a table's sync starts or
// ends, that table's rows fetched again and put in place, without
// reloading the page. Without script the pages reload every 10 s.
(function () {
  'use strict';
  if (!window.EventSource || !window.fetch) {
    setTimeout(function () { location.reload(); }, 10000);
    return;
  }
  var table = document.body.dataset.table || '';
  var pending = {};
  var es = new EventSource('/api/events' + (table ? '?table=' + encodeURIComponent(table) : ''));
  es.addEventListener('progress', function (e) { showProgress(JSON.parse(e.data)); });
  es.addEventListener('changed', function (e) { refresh(JSON.parse(e.data).table); });
  es.onerror = function () {
    // EventSource reconnects by itself; a stream refused for good falls
    // back to reloading.
    if (es.readyState === EventSource.CLOSED) setTimeout(function () { location.reload(); }, 10000);
  };
  // Lags and ages move without any sync starting: everything again now and then.
  setInterval(function () { refresh(''); }, 60000);
  document.querySelectorAll('.live-note').forEach(function (n) { n.textContent = 'live'; });

  function showProgress(p) {
    var body = document.getElementById('table-' + p.table);
    var cell = body && body.querySelector('.task');
    if (!cell) return;
    var text = cell.querySelector('.task-text');
    text.textContent = p.text;
    var bar = cell.querySelector('progress');
    if (!bar) {
      var br = document.createElement('br');
      bar = document.createElement('progress');
      text.after(br);
      br.after(bar);
    }
    if (p.total > 0) {
      bar.max = 100;
      bar.value = p.percent;
    } else {
      bar.removeAttribute('value');
    }
    bar.title = p.rows + (p.total > 0 ? ' of ' + p.total : '') + ' rows';
    body.dataset.rows = p.rows;
  }

  // refresh fetches the rows of one table of the status page (or the
  // whole page: a table's own page, or no table named) and puts every
  // part marked data-live in place of the one with the same id.
  function refresh(name) {
    var src = table || !name ? location.href : '/tables/' + encodeURIComponent(name) + '/row';
    if (pending[src]) return;
    pending[src] = true;
    fetch(src, { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(src + ': ' + r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        doc.querySelectorAll('[data-live][id]').forEach(function (fresh) {
          var old = document.getElementById(fresh.id);
          if (old) old.replaceWith(document.importNode(fresh, true));
        });
      })
      .catch(function () { /* the next event or minute tries again */ })
      .finally(function () { delete pending[src]; });
  }
})();
