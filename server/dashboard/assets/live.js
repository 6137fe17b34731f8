// Keeps [data-live] sections current: a Server-Sent Event says something changed, and the
// section is re-fetched from its fragment URL. A slow timer covers changes made on other replicas.
(() => {
  const sections = () => Array.from(document.querySelectorAll('[data-live]'));
  if (sections().length === 0) return;
  let pending = null;

  async function refresh() {
    pending = null;
    for (const section of sections()) {
      const response = await fetch(section.dataset.live, { headers: { accept: 'text/html' } });
      if (response.ok) section.innerHTML = await response.text();
    }
    document.documentElement.dataset.refreshed = String(Date.now());
  }

  function soon() {
    if (pending === null) pending = setTimeout(refresh, 150);
  }

  const events = new EventSource('/dashboard/live');
  events.addEventListener('ready', () => {
    document.documentElement.dataset.live = 'connected';
  });
  events.addEventListener('change', soon);
  setInterval(soon, 30_000);
})();
