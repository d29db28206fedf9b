import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** One thing record, shaped like DescribeThing's response. */
export interface Thing {
  thingName: string;
  thingId: string;
  thingArn: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
  version: number;
  billingGroupName?: string;
  defaultClientId: string;
  /**
   * Not part of DescribeThing's answer: whether the device is connected now, as
   * GetThingConnectivityData reports it (a thing that never connected is disconnected).
   */
  connectivity?: Connectivity;
}

export interface Connectivity {
  connected: boolean;
  /** Epoch ms of the last connect or disconnect. */
  timestamp: number;
  disconnectReason?: string;
}

export type DeleteOutcome = "deleted" | "missing" | "version-conflict";

/**
 * The registry store. Every mutation is atomic with respect to other calls: the check and the
 * in-memory change happen synchronously, and the returned promise settles once the change is durable.
 */
export interface RegistryStore {
  get(thingName: string): Thing | undefined;
  /** All things, sorted by thingName (UTF-16 code unit order). */
  list(): Thing[];
  /** Inserts `thing` unless one with that name exists; then returns the existing one and writes nothing. */
  insert(thing: Thing): Promise<Thing | undefined>;
  delete(thingName: string, expectedVersion?: number): Promise<DeleteOutcome>;
  /** Sets a thing's connectivity; undefined when there is no such thing. */
  setConnectivity(thingName: string, connectivity: Connectivity): Promise<Thing | undefined>;
  /** Removes every thing. */
  reset(): Promise<void>;
  /** Settles when every write started so far has finished. */
  flush(): Promise<void>;
}

/** In-memory store (tests, embedding). */
export class MemoryRegistryStore implements RegistryStore {
  protected readonly things = new Map<string, Thing>();

  constructor(initial: Iterable<Thing> = []) {
    for (const thing of initial) this.things.set(thing.thingName, structuredClone(thing));
  }

  get(thingName: string): Thing | undefined {
    const thing = this.things.get(thingName);
    return thing === undefined ? undefined : structuredClone(thing);
  }

  list(): Thing[] {
    return [...this.things.values()]
      .sort((a, b) => (a.thingName < b.thingName ? -1 : a.thingName > b.thingName ? 1 : 0))
      .map((thing) => structuredClone(thing));
  }

  async insert(thing: Thing): Promise<Thing | undefined> {
    const existing = this.get(thing.thingName);
    if (existing !== undefined) return existing;
    this.things.set(thing.thingName, structuredClone(thing));
    try {
      await this.persist();
    } catch (error) {
      // Keep memory in step with disk: a change that could not be written did not happen.
      if (this.things.get(thing.thingName)?.thingId === thing.thingId) this.things.delete(thing.thingName);
      throw error;
    }
    return undefined;
  }

  async delete(thingName: string, expectedVersion?: number): Promise<DeleteOutcome> {
    const existing = this.things.get(thingName);
    if (existing === undefined) return "missing";
    if (expectedVersion !== undefined && existing.version !== expectedVersion) return "version-conflict";
    this.things.delete(thingName);
    try {
      await this.persist();
    } catch (error) {
      if (!this.things.has(thingName)) this.things.set(thingName, existing);
      throw error;
    }
    return "deleted";
  }

  async setConnectivity(thingName: string, connectivity: Connectivity): Promise<Thing | undefined> {
    const existing = this.things.get(thingName);
    if (existing === undefined) return undefined;
    const changed = { ...existing, connectivity: { ...connectivity } };
    this.things.set(thingName, changed);
    try {
      await this.persist();
    } catch (error) {
      if (this.things.get(thingName) === changed) this.things.set(thingName, existing);
      throw error;
    }
    return structuredClone(changed);
  }

  async reset(): Promise<void> {
    this.things.clear();
    await this.persist();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Makes the current in-memory state durable. No-op in memory. */
  protected persist(): Promise<void> {
    return Promise.resolve();
  }
}

const STORE_FILE = "things.json";
const FORMAT_VERSION = 1;

const thingSchema = z.object({
  thingName: z.string().min(1),
  thingId: z.string().min(1),
  thingArn: z.string().min(1),
  thingTypeName: z.string().optional(),
  attributes: z.record(z.string(), z.string()),
  version: z.number().int().positive(),
  billingGroupName: z.string().optional(),
  defaultClientId: z.string().min(1),
  connectivity: z
    .object({ connected: z.boolean(), timestamp: z.number(), disconnectReason: z.string().optional() })
    .optional(),
});

const fileSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  things: z.array(thingSchema),
});

function toThing(parsed: z.infer<typeof thingSchema>): Thing {
  const { thingTypeName, billingGroupName, connectivity, ...rest } = parsed;
  return {
    ...rest,
    ...(thingTypeName === undefined ? {} : { thingTypeName }),
    ...(billingGroupName === undefined ? {} : { billingGroupName }),
    ...(connectivity === undefined
      ? {}
      : {
          connectivity: {
            connected: connectivity.connected,
            timestamp: connectivity.timestamp,
            ...(connectivity.disconnectReason === undefined
              ? {}
              : { disconnectReason: connectivity.disconnectReason }),
          },
        }),
  };
}

/**
 * Store kept in memory and mirrored to `<dir>/things.json`. Each change rewrites the whole file
 * atomically (write a temp file, fsync, rename), one write at a time, so a crash leaves either the
 * old or the new file. Open it with `FileRegistryStore.open(dir)`, which loads the existing file.
 */
export class FileRegistryStore extends MemoryRegistryStore {
  readonly filePath: string;
  private writes: Promise<void> = Promise.resolve();
  private tempCounter = 0;

  private constructor(
    readonly dir: string,
    initial: Thing[],
  ) {
    super(initial);
    this.filePath = join(dir, STORE_FILE);
  }

  static async open(dir: string): Promise<FileRegistryStore> {
    await mkdir(dir, { recursive: true });
    const filePath = join(dir, STORE_FILE);
    let text: string | undefined;
    try {
      text = await readFile(filePath, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (text === undefined) return new FileRegistryStore(dir, []);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`IoT registry file ${filePath} is not valid JSON; fix or remove it`, { cause: error });
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(`IoT registry file ${filePath} has an unexpected shape: ${parsed.error.message}`);
    }
    return new FileRegistryStore(dir, parsed.data.things.map(toThing));
  }

  override flush(): Promise<void> {
    return this.writes;
  }

  protected override persist(): Promise<void> {
    // Writes are chained so they never overlap; each one snapshots the state at the time it runs.
    const write = this.writes.then(() => this.writeSnapshot());
    this.writes = write.catch(() => undefined);
    return write;
  }

  private async writeSnapshot(): Promise<void> {
    const body = `${JSON.stringify({ formatVersion: FORMAT_VERSION, things: this.list() }, null, 2)}\n`;
    const tempPath = `${this.filePath}.${process.pid}.${++this.tempCounter}.tmp`;
    try {
      const handle = await open(tempPath, "w");
      try {
        await handle.writeFile(body, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tempPath, this.filePath);
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }
}
