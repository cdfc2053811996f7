// New assignment form: shows only the inputs the chosen options need (the team or the people; a due
// date or a number of days). Without this file every input stays visible and the server validates.
(() => {
  const form = document.querySelector("[data-assignment-form]");
  if (!form) { return; }
  const toggle = (radioName, partAttribute) => {
    const radios = form.querySelectorAll(`input[type=radio][name=${radioName}]`);
    const parts = form.querySelectorAll(`[${partAttribute}]`);
    const update = () => {
      const chosen = form.querySelector(`input[type=radio][name=${radioName}]:checked`);
      parts.forEach((part) => {
        part.hidden = Boolean(chosen) && part.getAttribute(partAttribute) !== chosen.value;
      });
    };
    radios.forEach((radio) => radio.addEventListener("change", update));
    update();
  };
  toggle("audience", "data-audience-part");
  toggle("due_kind", "data-due-part");
})();
