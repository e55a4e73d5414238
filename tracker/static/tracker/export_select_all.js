// The export page's "Select all" box (django-import-export): its inline
// onchange handler is blocked by the CSP, so bind the package's own handler
// (export_selectable_fields.js) here.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input.select-toggle").forEach((box) => {
    box.addEventListener("change", onSelectToggleChange);
  });
});
