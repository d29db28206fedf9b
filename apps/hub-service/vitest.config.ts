import { defineConfig } from "vitest/config";
import { serviceTestConfig } from "../../packages/test-support/src/vitest-config.ts";

export default defineConfig(serviceTestConfig());
