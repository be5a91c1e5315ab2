// A select marked data-submit-on-change sends its form as soon as a choice is made (item statistics:
// choosing the competition reloads the stages and regions to choose from).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});
