import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** This process' name in the leases it holds (log consumers, deliveries): host, pid and a random suffix (pids repeat across restarts). */
export const defaultOwner = (): string => `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
