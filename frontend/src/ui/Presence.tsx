// A friend's presence: a dot and the word "online" or "offline" (the word is what is read out).
export function Presence({ online, connected }: { online: boolean; connected?: boolean }) {
  return (
    <span class={`presence ${online ? "is-online" : "is-offline"}`} title={online && connected === false ? "online, connecting…" : undefined}>
      <span class="dot" aria-hidden="true" />
      {online ? "online" : "offline"}
    </span>
  );
}
