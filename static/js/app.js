// Small progressive enhancements; every page works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // Disable submit buttons after the first submit so a double click sends one request.
  if (!event.defaultPrevented) {
    form.querySelectorAll("button[type=submit]").forEach((button) => {
      window.setTimeout(() => { button.disabled = true; }, 0);
    });
  }
});
document.addEventListener("click", (event) => {
  const trigger = event.target.closest("[data-print]");
  if (trigger) { window.print(); }
});
