// Devices, the recovery phrase and the set-up choice: their words, and the views rendered by preact
// into a small stand-in for the DOM (just what preact and these views touch; the browser's own is
// what the end-to-end tests use).
import { type ComponentChild, type ContainerNode, h, render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceView, LinkOffer, SetupActions } from "../src/sync/devices/types";
import { type DeviceControls, DevicesCard } from "../src/ui/DevicesCard";
import { RecoveryCard } from "../src/ui/RecoveryCard";
import { SetupChoice } from "../src/ui/SetupChoice";
import { deviceSeenWords, linkStatusWords, linkStepsWords, phraseProblemWords, removeDeviceWords, timeLeftWords } from "../src/ui/words";

type Listener = (this: Node, event: FakeEvent) => void;
type FakeEvent = { type: string; target: Node; currentTarget?: Node; key?: string; preventDefault(): void };

class Node {
  parentNode: El | null = null;
  childNodes: Node[] = [];
  data = "";
  get nodeType(): number {
    return 3;
  }
  get nextSibling(): Node | null {
    const siblings = this.parentNode?.childNodes ?? [];
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }
  get textContent(): string {
    return this.nodeType === 3 ? this.data : this.childNodes.map((n) => n.textContent).join("");
  }
}

class El extends Node {
  namespaceURI = "http://www.w3.org/1999/xhtml";
  style = { cssText: "", setProperty() {} };
  attrs = new Map<string, string>();
  listeners = new Map<string, Listener>();
  value?: string;
  // Present, so that preact listens for "click" rather than "Click".
  onclick = null;
  oninput = null;
  onsubmit = null;
  onkeydown = null;
  onchange = null;
  constructor(readonly localName: string) {
    super();
  }
  override get nodeType(): number {
    return 1;
  }
  get firstChild(): Node | null {
    return this.childNodes[0] ?? null;
  }
  insertBefore(node: Node, before: Node | null): Node {
    node.parentNode?.removeChild(node);
    const at = before ? this.childNodes.indexOf(before) : -1;
    this.childNodes.splice(at < 0 ? this.childNodes.length : at, 0, node);
    return (node.parentNode = this), node;
  }
  appendChild = (node: Node) => this.insertBefore(node, null);
  removeChild(node: Node): Node {
    this.childNodes.splice(this.childNodes.indexOf(node), 1);
    return (node.parentNode = null), node;
  }
  remove = () => this.parentNode?.removeChild(this);
  contains(node: unknown): boolean {
    for (let n = node as Node | null; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
  setAttribute = (name: string, value: unknown) => this.attrs.set(name, String(value));
  getAttribute = (name: string) => this.attrs.get(name) ?? null;
  removeAttribute = (name: string) => this.attrs.delete(name);
  addEventListener = (type: string, listener: Listener) => this.listeners.set(type, listener);
  removeEventListener = (type: string) => this.listeners.delete(type);
  focus = () => void (doc.activeElement = this);
  select() {}
  click() {}
  /** Everything below, depth first. */
  all(): El[] {
    return this.childNodes.flatMap((n) => (n instanceof El ? [n, ...n.all()] : []));
  }
}

const doc = {
  body: new El("body"),
  activeElement: null as El | null,
  createElement: (tag: string) => new El(tag),
  createElementNS: (_ns: string, tag: string) => new El(tag),
  createTextNode: (text: string) => Object.assign(new Node(), { data: String(text) }),
};
Object.assign(globalThis, { document: doc });

/** An event that bubbles from ``target``, as the browser's would. */
function fire(target: El, type: string, extra: Partial<FakeEvent> = {}): void {
  const event: FakeEvent = { type, target, preventDefault() {}, ...extra };
  for (let n: El | null = target; n; n = n.parentNode) n.listeners.get(type)?.call((event.currentTarget = n), event);
}

let root: El | undefined;
const container = (el: El) => el as unknown as ContainerNode;
const show = (vnode: ComponentChild) => act(() => render(vnode, container((root = doc.body.appendChild(new El("div")) as El))));
afterEach(() => act(() => root && (render(null, container(root)), root.remove(), (root = undefined))));
/** Lets the engine's promises settle and the views re-render. */
const settle = () => act(() => new Promise((done) => setTimeout(done, 0)));

const text = (el: El) => el.textContent.replace(/\s+/g, " ").trim();
const button = (name: string) => {
  const found = root!.all().find((e) => e.localName === "button" && text(e) === name);
  if (!found) throw new Error(`no button ${name}: ${text(root!)}`);
  return found;
};
const labelled = (name: string) => {
  const label = root!.all().find((e) => e.localName === "label" && text(e) === name);
  return root!.all().find((e) => e.getAttribute("aria-label") === name || (label && e.getAttribute("id") === label.getAttribute("for")));
};
const alerts = () => root!.all().filter((e) => e.getAttribute("role") === "alert").map(text);
const click = (name: string) =>
  act(() => {
    const b = button(name);
    if (b.getAttribute("disabled") !== null) throw new Error(`${name} is disabled`);
    fire(b, "click");
    const form = b.getAttribute("type") === "submit" ? root!.all().find((f) => f.localName === "form" && f.contains(b)) : undefined;
    if (form) fire(form, "submit");
  });
const type = (name: string, value: string) =>
  act(() => {
    const field = labelled(name)!;
    field.value = value;
    fire(field, "input");
  });

const WORDS = "abandon ability able about above absent absorb abstract absurd abuse access accident account accuse achieve acid acoustic acquire across act action actor actress actual".split(" ");

describe("words for devices and the recovery phrase", () => {
  it("say what to do with a code and how long it lasts", () => {
    expect(linkStepsWords("alice")).toBe("On your other browser, log in as @alice, choose \u201cLink to my other device\u201d, and type this code.");
    expect(timeLeftWords(4 * 60_000 + 5_000)).toBe("4 min 05 s left");
    expect(timeLeftWords(8_200)).toBe("9 s left");
    expect(timeLeftWords(-5)).toBe("0 s left");
  });
  it("say where a code stands", () => {
    expect(linkStatusWords("linked", "Laptop")).toBe("Linked: Laptop now has your wall.");
    expect(linkStatusWords("linked")).toBe("Linked: your new device now has your wall.");
    expect(linkStatusWords("expired")).toContain("Make a new one");
    expect(linkStatusWords("spent")).toContain("typed wrong too often");
  });
  it("say where a device is", () => {
    const now = Date.now();
    expect(deviceSeenWords({ current: true, online: true }, now)).toBe("this device");
    expect(deviceSeenWords({ current: false, online: true, lastSeen: now - 3_600_000 }, now)).toBe("online");
    expect(deviceSeenWords({ current: false, online: false, lastSeen: now - 5 * 60_000 }, now)).toBe("last seen 5 min ago");
    expect(deviceSeenWords({ current: false, online: false }, now)).toBe("not seen yet");
  });
  it("warn plainly before removing a device, and name a slip in a phrase", () => {
    expect(removeDeviceWords("Old phone")).toMatch(/^Remove Old phone\? .*still knows your key.*start fresh with a new key/);
    expect(phraseProblemWords({ code: "unknown-word", word: "abandn", position: 3 })).toBe("Word 3, \u201cabandn\u201d, is not a recovery word: check its spelling.");
    expect(phraseProblemWords({ code: "wrong-length", count: 23 })).toBe("A recovery phrase has 24 words; this has 23 words.");
  });
});

function fakeDevices(offer?: LinkOffer): DeviceControls & { listeners: Set<() => void>; offer?: LinkOffer } {
  const list: DeviceView[] = [
    { id: "a1", name: "This laptop", online: true, current: true },
    { id: "b2", name: "Phone", online: false, current: false, lastSeen: Date.now() - 120_000 },
  ];
  const me = {
    listeners: new Set<() => void>(),
    offer,
    devices: () => list,
    renameDevice: async () => Promise.reject(new Error("That name is too long.")),
    removeDevice: async () => {},
    offerLink: () => (me.offer = { code: "4829 1733", expiresAt: Date.now() + 300_000, status: "waiting" }),
    linkOffer: () => me.offer,
    cancelLink: () => void (me.offer = undefined),
    subscribe: (listener: () => void) => (me.listeners.add(listener), () => void me.listeners.delete(listener)),
  };
  return me;
}

describe("DevicesCard", () => {
  it("shows a code to read out once asked, and what became of it", async () => {
    const devices = fakeDevices();
    await show(h(DevicesCard, { devices, handle: "alice" }));
    expect(labelled("Device code")).toBeUndefined();
    await click("Link a device");
    expect(text(labelled("Device code")!)).toBe("4829 1733");
    expect(text(root!)).toContain("log in as @alice");
    expect(text(root!)).toMatch(/[45] min \d\d s left/);
    expect(doc.activeElement).toBe(labelled("Device code"));
    devices.offer = { ...devices.offer!, status: "linked", device: "b2" };
    await act(() => devices.listeners.forEach((l) => l()));
    expect(text(root!)).toContain("Linked: Phone now has your wall.");
    expect(labelled("Device code")).toBeUndefined();
    await click("Done");
    expect(button("Link a device")).toBeTruthy();
  });
  it("offers a new code once one expired", async () => {
    await show(h(DevicesCard, { devices: fakeDevices({ code: "1", expiresAt: Date.now() - 1, status: "waiting" }), handle: "alice" }));
    expect(text(root!)).toContain("This code has expired.");
    await click("New code");
    expect(text(labelled("Device code")!)).toBe("4829 1733");
  });
  it("lists my devices, renames in place and says why it could not", async () => {
    await show(h(DevicesCard, { devices: fakeDevices(), handle: "alice" }));
    const [mine, phone] = root!.all().filter((e) => e.localName === "li").map(text);
    expect(mine).toBe("This laptop this deviceRename");
    expect(phone).toBe("Phone last seen 2 min agoRenameRemove");
    await click("Rename");
    await type("Device name", "A very long name");
    await click("Save");
    await settle();
    expect(alerts()).toEqual(["That name is too long."]);
  });
});

describe("RecoveryCard", () => {
  it("shows the 24 words in order, labelled, and hides them again", async () => {
    await show(h(RecoveryCard, { recovery: { recoveryPhrase: async () => WORDS } }));
    await click("Show recovery phrase");
    await settle();
    const phrase = labelled("Recovery phrase")!;
    expect(phrase.localName).toBe("ol");
    expect(phrase.textContent.trim().split(/\s+/)).toEqual(WORDS);
    expect(text(root!)).toContain("Anyone who has these words can be you");
    await click("Hide");
    expect(labelled("Recovery phrase")).toBeUndefined();
  });
});

describe("SetupChoice", () => {
  const actions = (over: Partial<SetupActions> = {}): SetupActions => ({
    link: () => Promise.reject(new Error("No device of yours is showing that code.")),
    restore: () => Promise.reject(Object.assign(new Error("refused"), { name: "PhraseRefused", problem: { code: "checksum" } })),
    importBackup: async () => "Imported your backup.",
    startFresh: async () => {},
    ...over,
  });

  it("asks first, with the four choices", async () => {
    await show(h(SetupChoice, { handle: "alice", actions: actions() }));
    expect(text(root!)).toContain("Welcome back, @alice");
    for (const name of ["Link to my other device", "Restore from recovery phrase", "Import backup", "Start fresh"]) expect(button(name)).toBeTruthy();
  });
  it("is busy while linking, and says a refusal next to the field", async () => {
    let refuse = (_: Error) => {};
    await show(h(SetupChoice, { handle: "alice", actions: actions({ link: () => new Promise((_, no) => (refuse = no)) }) }));
    await click("Link to my other device");
    expect(doc.activeElement).toBe(labelled("Device code"));
    await type("Device code", " 4829 1733 ");
    await click("Link");
    expect(button("Linking…").getAttribute("disabled")).not.toBeNull();
    refuse(new Error("No device of yours is showing that code."));
    await settle();
    expect(alerts()).toEqual(["No device of yours is showing that code."]);
    expect(button("Link").getAttribute("disabled")).toBeNull();
  });
  it("names a refused phrase in plain words", async () => {
    await show(h(SetupChoice, { handle: "alice", actions: actions() }));
    await click("Restore from recovery phrase");
    await type("Recovery phrase", WORDS.join(" "));
    await click("Restore");
    await settle();
    expect(alerts()).toEqual([phraseProblemWords({ code: "checksum" })]);
  });
  it("imports a backup chosen with its button, and says why one could not be", async () => {
    const backup = { name: "peerwall-alice.json" } as File;
    let chosen: File | undefined;
    const importBackup = async (file: File) => ((chosen = file), Promise.reject(new Error("This file is not a Peerwall backup.")));
    await show(h(SetupChoice, { handle: "alice", actions: actions({ importBackup }) }));
    const picker = root!.all().find((e) => e.getAttribute("type") === "file")!;
    await act(() => fire(Object.assign(picker, { files: [backup] }), "change"));
    await settle();
    expect(chosen).toBe(backup);
    expect(alerts()).toEqual(["This file is not a Peerwall backup."]);
  });
  it("starts fresh only after saying what it means", async () => {
    let started = 0;
    await show(h(SetupChoice, { handle: "alice", actions: actions({ startFresh: async () => void started++ }) }));
    await click("Start fresh");
    expect(text(root!)).toContain("Your friends will be asked to confirm the new key");
    expect(started).toBe(0);
    await click("Yes, start fresh");
    await settle();
    expect(started).toBe(1);
    expect(text(root!)).toContain("Opening your new wall…");
  });
});
