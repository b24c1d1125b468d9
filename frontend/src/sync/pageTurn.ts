// Gives the page its turn in the middle of long work: the browser's scheduler.yield() where there
// is one (the work goes on first thing after), a timer elsewhere. A timer that keeps re-arming
// itself is held to 4 ms a turn by browsers; scheduler.yield() is not.
interface Scheduler {
  yield(): Promise<void>;
}

export function pageTurn(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Partial<Scheduler> }).scheduler;
  if (typeof scheduler?.yield === "function") return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}
