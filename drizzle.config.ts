import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "turso",
  schema: "./src/db/schema.ts",
  out: process.env.DRIZZLE_OUT ?? "./migrations",
  dbCredentials: {
    url: process.env.TURSO_DATABASE_URL ?? "file:.data/dev.db",
    authToken: process.env.TURSO_AUTH_TOKEN,
  },
});
