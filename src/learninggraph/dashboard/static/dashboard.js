// Draws the organisation charts from the JSON the page's .charts element names (Chart.js, bundled).
"use strict";
(function () {
  const holder = document.querySelector(".charts[data-source]");
  if (!holder || typeof Chart === "undefined") {
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.color = "#1f2933";
  const palette = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490"];

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = String(text);
    row.appendChild(td);
  }

  function render(data) {
    const statuses = Object.keys(data.status);
    draw("chart-status", {
      type: "doughnut",
      data: { labels: statuses, datasets: [{ data: statuses.map((s) => data.status[s]), backgroundColor: palette }] },
    });
    draw("chart-rate", {
      type: "bar",
      data: {
        labels: data.providers.map((p) => p.name),
        datasets: [{ label: "completed (%)", data: data.providers.map((p) => p.rate), backgroundColor: palette[2] }],
      },
      options: { scales: { y: { min: 0, max: 100 } } },
    });
    draw("chart-days", {
      type: "line",
      data: {
        labels: data.perDay.days,
        datasets: [
          { label: "created", data: data.perDay.created, borderColor: palette[0], backgroundColor: palette[0] },
          { label: "completed", data: data.perDay.completed, borderColor: palette[2], backgroundColor: palette[2] },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
    document.getElementById("overdue").textContent = String(data.overdue);
    document.getElementById("as-of").textContent = "Figures as of " + data.asOf + ", refreshed every minute.";
    const body = document.querySelector("#figures tbody");
    for (const p of data.providers) {
      const row = document.createElement("tr");
      [p.name, p.total, p.completed, p.rate].forEach((v) => cell(row, v));
      body.appendChild(row);
    }
    holder.dataset.ready = "true";
  }

  // The server computes the figures in the background: 202 means "ask again in a moment".
  function load(attempt) {
    fetch(holder.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (response.status === 202 && attempt < 120) {
          window.setTimeout(() => load(attempt + 1), 1000);
          return null;
        }
        if (!response.ok) {
          throw new Error("chart data: " + response.status);
        }
        return response.json();
      })
      .then((data) => {
        if (data) {
          render(data);
        }
      })
      .catch((error) => {
        holder.textContent = "The charts could not be loaded (" + error.message + ").";
      });
  }
  load(0);
})();
