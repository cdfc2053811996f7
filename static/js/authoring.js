// Authoring enhancements (course, lesson and question forms). Every form works without this file:
// it only saves round trips. Loaded with `defer`, so the DOM is ready when it runs.
(() => {
  // --- Add a formset row without saving first -------------------------------------------------
  // A button [data-add-row=<prefix>] copies the <template> named by data-template (Django's
  // empty_form, with __prefix__ in its names) and bumps the management form's TOTAL_FORMS.
  document.querySelectorAll("[data-add-row]").forEach((button) => {
    const prefix = button.dataset.addRow;
    const template = document.getElementById(button.dataset.template);
    const rows = document.querySelector(`[data-formset="${prefix}"]`);
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    const max = document.getElementById(`id_${prefix}-MAX_NUM_FORMS`);
    const status = document.querySelector(`[data-add-row-status="${prefix}"]`);
    if (!template || !rows || !total) { return; }
    const limit = max ? Number(max.value) : Infinity;
    const sync = () => {
      const full = Number(total.value) >= limit;
      button.disabled = full;
      if (status && full) { status.textContent = `At most ${limit} rows.`; }
    };
    button.hidden = false;
    sync();
    button.addEventListener("click", () => {
      const index = Number(total.value);
      if (index >= limit) { return; }
      const html = template.innerHTML
        .replaceAll("__prefix__", String(index))
        .replaceAll("__number__", String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const added = rows.lastElementChild;
      const first = added && added.querySelector("textarea, input:not([type=hidden]), select");
      if (first) { first.focus(); }
      if (status) { status.textContent = `Choice ${index + 1} added.`; }
      sync();
    });
  });
  document.querySelectorAll("[data-without-script]").forEach((note) => { note.hidden = true; });

  // --- Show only the fields of the chosen question type -----------------------------------------
  const kind = document.getElementById("id_kind");
  const sections = document.querySelectorAll(".kind-section[data-kinds]");
  if (kind && sections.length) {
    const showFor = () => {
      sections.forEach((section) => {
        section.hidden = !section.dataset.kinds.split(" ").includes(kind.value);
      });
    };
    kind.addEventListener("change", showFor);
    showFor();
  }

  // --- Markdown preview beside the lesson editor --------------------------------------------------
  // The server renders the text through the same Markdown renderer and sanitizer as the lesson
  // page (POST, CSRF-protected); the answer is inserted as sanitized HTML from our own origin.
  const preview = document.querySelector("[data-markdown-preview]");
  if (preview) {
    const source = document.getElementById(preview.dataset.source);
    const output = document.getElementById(preview.dataset.output);
    const form = source && source.form;
    const token = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    let timer = null;
    let latest = 0;
    const refresh = async () => {
      const request = ++latest;
      const body = new FormData();
      body.append("body_markdown", source.value);
      let response = null;
      try {
        response = await fetch(preview.dataset.url, {
          method: "POST",
          body,
          headers: { "X-CSRFToken": token ? token.value : "" },
          credentials: "same-origin",
        });
      } catch (error) {
        response = null;  // offline or the server is restarting: say so, keep the text
      }
      if (request !== latest) { return; }  // a newer keystroke already asked again
      if (response && response.ok) {
        output.innerHTML = await response.text();
      } else if (response && response.status === 422) {
        output.textContent = await response.text();  // the form's own message (e.g. too long)
      } else {
        output.textContent = "The preview is not available right now; your text is kept as typed.";
      }
    };
    preview.hidden = false;
    source.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    });
    refresh();
  }
})();
