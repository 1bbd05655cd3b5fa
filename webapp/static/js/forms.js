// After a failed submit the page comes back with an error summary: move focus to it, so
// a screen reader announces the problems and a keyboard user starts from the list of links.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
