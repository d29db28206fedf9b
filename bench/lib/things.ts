import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

export const thingName = (index: number): string => `bench-thing-${index}`;

/**
 * Writes the emulator's registry file with `count` Things before it starts: creating them one by
 * one over the API would rewrite the whole file for each. Cells truncate the hub tables between
 * them, so one pool serves every cell (thing names are unique within a cell).
 */
export async function writeThingPool(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const things = Array.from({ length: count }, (_, index) => {
    const name = thingName(index);
    return {
      thingName: name,
      thingId: randomUUID(),
      thingArn: `arn:aws:iot:us-east-1:000000000000:thing/${name}`,
      attributes: {},
      version: 1,
      defaultClientId: name,
    };
  });
  await writeFile(path.join(dir, "things.json"), JSON.stringify({ formatVersion: 1, things }));
}
