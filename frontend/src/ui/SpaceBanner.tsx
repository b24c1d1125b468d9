// A line above every view while the store is full (or nearly): it says what still works and
// where to make room.
import { isLow, type Space } from "../app/space";
import { useObservable, type Watched } from "./useObservable";
import { FULL_BANNER_WORDS, lowSpaceWords } from "./words";

export function SpaceBanner({ watch }: { watch: Watched<Space> }) {
  const space = useObservable(watch);
  const low = !space.full && isLow(space) && space.quota !== null && space.usage !== null;
  if (!space.full && !low) return null;
  return (
    <div class="warning space-banner" role={space.full ? "alert" : "status"}>
      <p>{space.full ? FULL_BANNER_WORDS : lowSpaceWords(space.quota! - space.usage!)}</p>
      <a href="#/settings">Free space in Settings</a>
    </div>
  );
}
