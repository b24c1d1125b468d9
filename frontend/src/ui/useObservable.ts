import { useEffect, useState } from "preact/hooks";

/** Something that has a value now and says when it changes (app/observable.ts's Observable). */
export interface Watched<T> {
  get(): T;
  subscribe(listener: (value: T) => void): () => void;
}

/** The value of ``source``, re-rendering the component when it changes. */
export function useObservable<T>(source: Watched<T>): T {
  const [value, setValue] = useState(source.get());
  useEffect(() => {
    setValue(source.get());
    const stop = source.subscribe(setValue);
    return () => void stop();
  }, [source]);
  return value;
}
