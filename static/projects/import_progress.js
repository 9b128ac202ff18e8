// Polls running imports on the import page and updates their progress bars.
(function () {
  "use strict";
  const running = ["pending", "validating", "writing"];
  const rows = Array.from(document.querySelectorAll("tr.import-job")).filter(
    (row) => running.includes(row.dataset.status)
  );
  if (!rows.length) return;
  // As the page writes it: "succeeded" -> "Succeeded".
  const label = (status) => status.charAt(0).toUpperCase() + status.slice(1);
  // As the page writes counts: 20,000.
  const count = (n) => Number(n).toLocaleString("en-US");
  async function poll() {
    let active = 0;
    for (const row of rows) {
      if (!running.includes(row.dataset.status)) continue;
      const response = await fetch(row.dataset.statusUrl, { credentials: "same-origin" });
      if (!response.ok) continue;
      const job = await response.json();
      row.dataset.status = job.status;
      row.querySelector(".job-status").textContent = label(job.status);
      row.querySelector("progress").value = job.progress_percent;
      row.querySelector(".job-count").textContent = `${count(job.processed_rows)} / ${count(job.total_rows)}`;
      row.querySelector(".job-created").textContent = count(job.created_count);
      row.querySelector(".job-duplicates").textContent = count(job.duplicate_count);
      if (running.includes(job.status)) active += 1;
      else if (job.status === "failed") window.location.reload();
    }
    if (active) window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
