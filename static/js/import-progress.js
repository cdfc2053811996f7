// Background import page: asks the server how far the import is and moves the progress bar, until
// it has finished; then shows the next step. Without this file the page reloads itself (noscript).
(() => {
  const section = document.querySelector("[data-import-job]");
  if (!section || !section.hasAttribute("data-running")) { return; }
  const url = section.getAttribute("data-import-job");
  const bar = section.querySelector("[data-import-bar]");
  const count = section.querySelector("[data-import-count]");
  const status = section.querySelector("[data-import-status]");
  const live = section.querySelector("[data-import-live]");
  let lastAnnounced = -1;
  const poll = () => {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((job) => {
        bar.max = job.total;
        bar.value = job.done;
        bar.textContent = `${job.percent}%`;
        count.textContent = `${job.done} of ${job.total}`;
        status.textContent = job.status_label;
        // Announce every quarter, not every poll, so a screen reader is not flooded.
        const quarter = Math.floor(job.percent / 25);
        if (quarter !== lastAnnounced || job.finished) {
          lastAnnounced = quarter;
          live.textContent = `${job.status_label}: ${job.percent}%`;
        }
        if (job.finished) {
          window.location.reload();  // the finished page shows the result and the next step
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(() => window.setTimeout(poll, 3000));
  };
  window.setTimeout(poll, 500);
})();
