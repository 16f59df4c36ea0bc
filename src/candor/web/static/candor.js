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
document.addEventListener("DOMContentLoaded", () => {
  // exercise pages: say when the facilitator has released another inject or ended the exercise;
  // reloading the page shows it (nothing is rewritten under a participant who is typing)
  const live = document.querySelector("[data-poll]");
  if (!live) return;
  const released = Number(live.dataset.released);
  const running = live.dataset.running === "yes";
  const seconds = Number(live.dataset.interval || "10");
  let timer = null;
  const check = async () => {
    let data;
    try {
      const response = await fetch(live.dataset.poll, {
        headers: { accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      data = await response.json();
    } catch (error) {
      return; // offline for a moment: try again next time
    }
    const ended = running && data.ended_at;
    if (data.injects_released <= released && !ended) return;
    const link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = ended
      ? "The exercise has ended: reload the page to see it."
      : "Inject " + data.injects_released + " is out: reload the page to read it.";
    live.replaceChildren(link);
    live.classList.add("notice");
    clearInterval(timer);
  };
  if (running) timer = setInterval(check, seconds * 1000);
});
