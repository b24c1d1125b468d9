// What the views may know of keys: the safety number two friends compare by eye.
export { safetyNumber } from "../crypto/identity";
