import { createClient, LibsqlError } from "@libsql/client/web";
import { describe, expect, it, onTestFinished } from "vitest";
import { useLibsqlServer } from "./fixture";

const TOKEN = "local-dev-token";

const fixture = useLibsqlServer({ authToken: TOKEN, admin: true });

function clientWith(authToken: string | undefined) {
  const client = createClient({ url: fixture.server.url, authToken });
  onTestFinished(() => client.close());
  return client;
}

async function statusOf(path: string, init: RequestInit = {}) {
  const response = await fetch(fixture.server.url + path, init);
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

describe("auth token", () => {
  it("lets a client with the right token in", async () => {
    const result = await clientWith(TOKEN).execute("SELECT 1 AS one");

    expect(result.rows[0]?.one).toBe(1);
  });

  it("turns away a client without a token with a readable 401", async () => {
    const error = await clientWith(undefined)
      .execute("SELECT 1")
      .catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).code).toBe("UNAUTHORIZED");
    expect((error as LibsqlError).message).toContain("Authorization: Bearer");
  });

  it("turns away a client with a wrong token", async () => {
    const error = await clientWith("not-the-token")
      .execute("SELECT 1")
      .catch((reason: unknown) => reason);

    expect((error as LibsqlError).code).toBe("UNAUTHORIZED");
  });

  it("answers 401 with a JSON error and a Bearer challenge", async () => {
    const response = await fetch(`${fixture.server.url}/v2/pipeline`, {
      method: "POST",
      headers: { authorization: "Bearer wrong" },
      body: JSON.stringify({ baton: null, requests: [] }),
    });

    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(await response.json()).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("accepts the scheme in any case", async () => {
    const { status } = await statusOf("/v2", { headers: { authorization: `bearer ${TOKEN}` } });

    expect(status).toBe(200);
  });

  it("needs no token for the health check, but does for the version check", async () => {
    expect((await statusOf("/health")).status).toBe(200);
    expect((await statusOf("/v2")).status).toBe(401);
  });

  it("guards the admin routes too", async () => {
    const without = await statusOf("/__admin/stats");
    const withToken = await statusOf("/__admin/stats", { headers: { authorization: `Bearer ${TOKEN}` } });

    expect(without.status).toBe(401);
    expect(withToken.status).toBe(200);
  });
});
