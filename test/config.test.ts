import { describe, expect, it } from "vitest";
import { DEFAULT_TIMEOUT_MS, loadConfig } from "../src/config/config.js";

const TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig";

describe("configuration", () => {
  it("defaults to the prod deployment from the OpenAPI servers", () => {
    const config = loadConfig({ CONNVO_TOKEN: TOKEN });
    expect(config.problems).toEqual([]);
    expect(config.target).toEqual({ url: "https://connvo-prod.convex.cloud", label: "deployment prod" });
    expect(config.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
  });

  it("maps each named deployment", () => {
    for (const name of ["dev", "staging", "prod"]) {
      expect(loadConfig({ CONNVO_TOKEN: TOKEN, CONNVO_DEPLOYMENT: name }).target?.url).toBe(
        `https://connvo-${name}.convex.cloud`,
      );
    }
  });

  it("flags win over the environment", () => {
    const config = loadConfig({ CONNVO_TOKEN: TOKEN, CONNVO_DEPLOYMENT: "prod" }, { deployment: "dev" });
    expect(config.target?.url).toBe("https://connvo-dev.convex.cloud");
  });

  it("accepts any deployment URL and strips a pasted 'Bearer ' prefix", () => {
    const config = loadConfig({ CONNVO_TOKEN: ` Bearer ${TOKEN}\n`, CONNVO_CONVEX_URL: "http://127.0.0.1:3210/" });
    expect(config.problems).toEqual([]);
    expect(config.target?.url).toBe("http://127.0.0.1:3210");
    expect(config.token).toBe(TOKEN);
  });

  it("names the variable to set when the token is missing", () => {
    const config = loadConfig({});
    expect(config.problems.map((p) => p.variable)).toEqual(["CONNVO_TOKEN"]);
    expect(config.problems[0]?.message).toMatch(
      /Run `connvo-mcp login`.*or set CONNVO_TOKEN to your Connvo access token/,
    );
  });

  it("reports an unknown deployment name, a bad URL, contradictions and a bad timeout", () => {
    expect(loadConfig({ CONNVO_TOKEN: TOKEN, CONNVO_DEPLOYMENT: "qa" }).problems[0]?.message).toMatch(
      /must be one of dev, staging, prod/,
    );
    expect(loadConfig({ CONNVO_TOKEN: TOKEN, CONNVO_CONVEX_URL: "not a url" }).problems[0]?.message).toMatch(
      /CONNVO_CONVEX_URL is not a URL/,
    );
    expect(loadConfig({ CONNVO_TOKEN: TOKEN, CONNVO_CONVEX_URL: "ftp://x.example" }).problems[0]?.message).toMatch(
      /must start with https/,
    );
    expect(
      loadConfig({ CONNVO_TOKEN: TOKEN, CONNVO_DEPLOYMENT: "dev", CONNVO_CONVEX_URL: "https://other.convex.cloud" })
        .problems[0]?.message,
    ).toMatch(/point at different deployments/);
    const agreeing = loadConfig({
      CONNVO_TOKEN: TOKEN,
      CONNVO_DEPLOYMENT: "dev",
      CONNVO_CONVEX_URL: "https://connvo-dev.convex.cloud",
    });
    expect(agreeing.problems).toEqual([]);
    const timeout = loadConfig({ CONNVO_TOKEN: TOKEN, CONNVO_TIMEOUT_MS: "soon" });
    expect(timeout.problems[0]?.variable).toBe("CONNVO_TIMEOUT_MS");
    expect(timeout.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
  });

  it("never puts the token in a problem message", () => {
    const config = loadConfig({ CONNVO_TOKEN: TOKEN, CONNVO_DEPLOYMENT: "nope", CONNVO_CONVEX_URL: "x" });
    expect(JSON.stringify(config.problems)).not.toContain(TOKEN);
  });
});
