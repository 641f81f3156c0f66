// The DuckDB memory limits read from the environment: their defaults, `off`, and a bad value refused at
// the worker's start with the setting's name.
import { describe, expect, it } from "vitest";
import { exportMemoryLimit, loadConfig, loadMemoryLimit } from "../../temporal.config.js";

describe("Memory limit settings", () => {
  it("default to 384MB, take a DuckDB size, and read off as DuckDB's own", () => {
    for (const [name, read] of [
      ["OBSERVATORY_LOAD_MEMORY_LIMIT", loadMemoryLimit],
      ["OBSERVATORY_EXPORT_MEMORY_LIMIT", exportMemoryLimit],
    ] as const) {
      expect(read({})).toBe("384MB");
      expect(read({ [name]: " 2GB " })).toBe("2GB");
      expect(read({ [name]: "1.5GiB" })).toBe("1.5GiB");
      expect(read({ [name]: "off" })).toBeNull();
    }
  });

  it("stop the configuration at a value that is not a size, naming the setting", () => {
    expect(() => loadConfig({ OBSERVATORY_LOAD_MEMORY_LIMIT: "lots" })).toThrow(
      'OBSERVATORY_LOAD_MEMORY_LIMIT must be a size such as 512MB or 2GB, or off, got "lots"',
    );
    expect(() => loadConfig({ OBSERVATORY_EXPORT_MEMORY_LIMIT: "512" })).toThrow(
      'OBSERVATORY_EXPORT_MEMORY_LIMIT must be a size such as 512MB or 2GB, or off, got "512"',
    );
    expect(() => loadConfig({ OBSERVATORY_LOAD_MEMORY_LIMIT: "256MB" })).not.toThrow();
  });
});
