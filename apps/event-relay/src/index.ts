// Nothing of the relay is imported by other workspaces; it runs as its own process (main.ts).
export {};
