// Small enhancements only; every page works without this file.
"use strict";
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button && button.dataset ? button.dataset.confirm : null;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("DOMContentLoaded", () => {
  // live countdowns: <time data-countdown datetime="..."> shows the time left
  const render = () => {
    const now = Date.now();
    for (const el of document.querySelectorAll("time[data-countdown]")) {
      const target = Date.parse(el.getAttribute("datetime"));
      if (Number.isNaN(target)) continue;
      let seconds = Math.round((target - now) / 1000);
      const late = seconds < 0;
      seconds = Math.abs(seconds);
      const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600),
        m = Math.floor((seconds % 3600) / 60);
      const text = (d ? d + " d " : "") + h + " h " + m + " min";
      el.textContent = late ? text + " overdue" : text + " left";
      el.classList.toggle("late", late);
    }
  };
  render();
  setInterval(render, 30000);
});
