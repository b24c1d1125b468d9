// One person, whatever the letter case: every map of people is keyed by canon(handle), and a
// handle is compared with sameHandle. The spelling a person chose is kept only for showing it.

/** The key of a handle: @Bob, @BOB and @bob are one person. */
export function canon(handle: string): string {
  return handle.toLowerCase();
}

export function sameHandle(a: string, b: string): boolean {
  return canon(a) === canon(b);
}
