// Long walls are shown a page at a time: rendering thousands of posts at once freezes the page.
import { useState } from "preact/hooks";

export const PAGE_SIZE = 25;

/** How many items to show, and a button that shows the next page. */
export function usePaging(total: number): { shown: number; more: preact.JSX.Element | null } {
  const [shown, setShown] = useState(PAGE_SIZE);
  const left = total - shown;
  const more =
    left > 0 ? (
      <button type="button" class="button quiet show-more" onClick={() => setShown(shown + PAGE_SIZE)}>
        Show older posts ({left} more)
      </button>
    ) : null;
  return { shown, more };
}
