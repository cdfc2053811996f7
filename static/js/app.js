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

// Phone navigation: a Menu button toggles the links (they stay visible when scripts are off).
(() => {
  const toggle = document.querySelector(".nav-toggle");
  const links = document.getElementById("nav-links");
  if (!toggle || !links) { return; }
  const phone = window.matchMedia("(max-width: 959px)");
  const sync = () => {
    toggle.hidden = !phone.matches;
    document.documentElement.classList.toggle("js-nav", phone.matches);
  };
  toggle.addEventListener("click", () => {
    const open = links.classList.toggle("is-open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  phone.addEventListener("change", sync);
  sync();
})();
