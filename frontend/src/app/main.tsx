// The composition root: reads who I am from the page and mounts the shell.
import { render } from "preact";
import { Shell } from "../ui/Shell";

const root = document.getElementById("app");
const handle = document.body.dataset.handle;
if (root && handle) {
  render(<Shell handle={handle} />, root);
}
