// Settings → Devices: a one-time code that links another browser of mine, and my devices (rename,
// remove). The code counts down; what became of it (linked, expired, used) is said in words.
import { useEffect, useId, useReducer, useRef, useState } from "preact/hooks";
import type { DeviceView, LinkOffer } from "../sync/devices/types";
import { CommandError } from "./CommandError";
import { ConfirmButton } from "./ConfirmButton";
import { useCommand } from "./useCommand";
import { useNow } from "./useEngine";
import { deviceSeenWords, linkStatusWords, linkStepsWords, removeDeviceWords, timeLeftWords, LOST_DEVICE_WORDS, START_ANEW_WORDS } from "./words";

/** What the card reads and does (the Engine has these members). */
export interface DeviceControls {
  devices(): DeviceView[];
  renameDevice(id: string, name: string): Promise<void>;
  removeDevice(id: string): Promise<void>;
  /** Starts a fresh one-time code (valid 5 minutes, single use). */
  offerLink(): LinkOffer;
  /** The code being offered, as it stands now; undefined when none. */
  linkOffer(): LinkOffer | undefined;
  cancelLink(): void;
  subscribe(listener: () => void): () => void;
}

/** Re-renders on every change the controls tell of; returns a way to re-render now. */
function useChanges(source: DeviceControls): () => void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const stop = source.subscribe(() => bump(undefined));
    return () => void stop();
  }, [source]);
  return () => bump(undefined);
}

/** Focus fell to the page (what had it is gone), or is within ``here``. */
function focusLost(here?: Element | null): boolean {
  const at = document.activeElement;
  return !at || at === document.body || !!here?.contains(at);
}

/** When ``open`` turns false and what had the focus went with it, ``back`` takes the focus. */
export function useFocusBack(open: boolean, back: { current: HTMLElement | null }): void {
  const was = useRef(open);
  useEffect(() => {
    if (was.current && !open && focusLost()) back.current?.focus();
    was.current = open;
  }, [open]);
}

/**
 * ``startFresh``: a new key for this browser (after a device was lost or stolen: removing it
 * cannot take my key back from it).
 */
export function DevicesCard({ devices, handle, startFresh }: { devices: DeviceControls; handle: string; startFresh?: () => Promise<void> }) {
  const refresh = useChanges(devices);
  const offer = devices.linkOffer();
  const mine = devices.devices();
  const start = useRef<HTMLButtonElement>(null);
  useFocusBack(!!offer, start);
  // Each asks the engine, then shows what it says at once (its own notice comes a moment later).
  const offerNew = () => (devices.offerLink(), refresh());
  const done = () => (devices.cancelLink(), refresh());

  return (
    <div class="card-block settings-card devices-card">
      <h2>Devices</h2>
      <p class="help">Use Peerwall on another browser or phone, with the same key and wall: link it with a one-time code.</p>
      {offer ? (
        <LinkPanel offer={offer} handle={handle} name={mine.find((d) => d.id === offer.device)?.name} onNew={offerNew} onDone={done} />
      ) : (
        <div class="button-row">
          <button type="button" ref={start} class="button" onClick={offerNew}>
            Link a device
          </button>
        </div>
      )}
      <h3 id="devices-heading">Your devices</h3>
      <ul class="device-list" aria-labelledby="devices-heading">
        {mine.map((d) => (
          <DeviceItem key={d.id} device={d} devices={devices} />
        ))}
      </ul>
      {startFresh && (
        <div class="start-fresh">
          <p class="help">{LOST_DEVICE_WORDS}</p>
          <ConfirmButton label="Start fresh with a new key" question={START_ANEW_WORDS} confirm="Yes, start fresh" onConfirm={startFresh} class="button button-secondary" />
        </div>
      )}
    </div>
  );
}

interface PanelProps {
  offer: LinkOffer;
  handle: string;
  /** The linked device's name, once known. */
  name?: string;
  onNew(): void;
  onDone(): void;
}

function LinkPanel({ offer, handle, name, onNew, onDone }: PanelProps) {
  const now = useNow(1000);
  // The engine says "expired" itself; the clock only keeps the card from showing a dead code meanwhile.
  const status = offer.status === "waiting" && now >= offer.expiresAt ? "expired" : offer.status;
  const waiting = status === "waiting";
  const panel = useRef<HTMLDivElement>(null);
  const code = useRef<HTMLOutputElement>(null);
  const next = useRef<HTMLButtonElement>(null);
  // What the keyboard was on went away ("Link a device"; the code, once linked or expired): the
  // code, or the next thing to do, takes the focus.
  useEffect(() => {
    if (focusLost(panel.current)) (waiting ? code : next).current?.focus();
  }, [waiting]);
  const again = status === "expired" || status === "spent";
  return (
    <div class="link-panel" ref={panel}>
      {waiting && (
        <>
          <p>{linkStepsWords(handle)}</p>
          <output class="device-code" aria-label="Device code" ref={code} tabIndex={-1}>
            {offer.code}
          </output>
          <p class="help time-left">{timeLeftWords(offer.expiresAt - now)}</p>
        </>
      )}
      <p class={`said${status === "linked" ? " ok" : ""}`} role="status">
        {linkStatusWords(status, name)}
      </p>
      <div class="button-row">
        {again && (
          <button type="button" ref={next} class="button" onClick={onNew}>
            New code
          </button>
        )}
        <button type="button" ref={again ? undefined : next} class="button quiet" onClick={onDone}>
          {waiting ? "Cancel" : "Done"}
        </button>
      </div>
    </div>
  );
}

function DeviceItem({ device, devices }: { device: DeviceView; devices: DeviceControls }) {
  const now = useNow();
  const [renaming, setRenaming] = useState(false);
  const rename = useRef<HTMLButtonElement>(null);
  useFocusBack(renaming, rename);
  return (
    <li class="device-item">
      <div class="device-line">
        <span class="device-name">{device.name}</span>{" "}
        <span class={`device-seen${device.online || device.current ? " is-online" : ""}`}>{deviceSeenWords(device, now)}</span>
      </div>
      {renaming ? (
        <RenameForm device={device} devices={devices} done={() => setRenaming(false)} />
      ) : (
        <div class="device-actions">
          <button type="button" ref={rename} class="link-button" onClick={() => setRenaming(true)}>
            Rename
          </button>
          {!device.current && (
            <ConfirmButton label="Remove" question={removeDeviceWords(device.name)} confirm="Yes, remove" onConfirm={() => devices.removeDevice(device.id)} />
          )}
        </div>
      )}
    </li>
  );
}

function RenameForm({ device, devices, done }: { device: DeviceView; devices: DeviceControls; done: () => void }) {
  const [name, setName] = useState(device.name);
  const command = useCommand();
  const id = useId();
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.select(), []);
  const save = async () => {
    const typed = name.trim();
    if (!typed || typed === device.name) return done();
    if (await command.run(() => devices.renameDevice(device.id, typed))) done();
  };
  return (
    <form
      class="rename-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      onKeyDown={(e) => e.key === "Escape" && done()}
    >
      <label for={id}>Device name</label>
      <input id={id} ref={field} type="text" value={name} maxLength={40} autocomplete="off" onInput={(e) => setName(e.currentTarget.value)} />
      <button type="submit" class="button small" disabled={command.busy}>
        Save
      </button>
      <button type="button" class="button small quiet" onClick={done}>
        Cancel
      </button>
      <CommandError error={command.error} class="said error" />
    </form>
  );
}
