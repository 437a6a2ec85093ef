import type { HeaderMap } from '../extproc/ext-proc-messages.js';

/** One header line: lower-case name, value as a latin1 string so every byte survives. */
export interface HeaderEntry {
  readonly name: string;
  readonly value: string;
}

/**
 * An ordered header multimap in Envoy's shape: pseudo-headers first, lower-case names,
 * repeated names as separate entries (never comma-joined).
 */
export class HeaderList {
  private list: HeaderEntry[];
  /** The list is shared with a clone: copied before the first in-place change (copy on write). */
  private shared = false;

  constructor(entries: Iterable<HeaderEntry> = []) {
    this.list = [...entries];
  }

  get entries(): readonly HeaderEntry[] {
    return this.list;
  }

  get(name: string): string | undefined {
    // Plain loops: these run several times per request, and a closure per call shows in profiles.
    for (const entry of this.list) if (entry.name === name) return entry.value;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Envoy's `setCopy`: the first entry keeps its place with the new value, later duplicates go. */
  set(name: string, value: string): void {
    const index = this.list.findIndex((entry) => entry.name === name);
    if (index === -1) {
      this.add(name, value);
      return;
    }
    this.list = this.list.filter((entry, i) => i === index || entry.name !== name);
    this.list[index] = { name, value };
  }

  /** Envoy's `addCopy`: another entry with the same name. */
  add(name: string, value: string): void {
    if (this.shared) {
      this.list = [...this.list];
      this.shared = false;
    }
    this.list.push({ name, value });
  }

  remove(name: string): void {
    this.list = this.list.filter((entry) => entry.name !== name);
  }

  /** Regular headers as Node's flat `[name, value, …]` list for `writeHead`, built in one pass. */
  regularFlat(): string[] {
    const flat: string[] = [];
    for (const entry of this.list) {
      if (entry.name.charCodeAt(0) === 0x3a) continue;
      flat.push(entry.name, entry.value);
    }
    return flat;
  }

  /** Bytes the headers take on the wire, for Envoy's 60 KiB header-map limit. */
  byteSize(): number {
    return this.list.reduce((sum, entry) => sum + entry.name.length + Buffer.byteLength(entry.value, 'latin1'), 0);
  }

  /** A copy that shares the entries until either side adds one (set and remove build new lists). */
  clone(): HeaderList {
    const copy = new HeaderList();
    copy.list = this.list;
    copy.shared = true;
    this.shared = true;
    return copy;
  }

  /** The ext_proc `HeaderMap`: every value in `raw_value`, `value` left empty, as Envoy sends it. */
  toProto(): HeaderMap {
    return { headers: this.list.map((entry) => ({ key: entry.name, value: '', raw_value: Buffer.from(entry.value, 'latin1') })) };
  }
}
